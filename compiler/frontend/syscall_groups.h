// The standard library's syscall groups (std.syscalls), each expanded to its syscalls: the table
// `sbxc diff` uses to show a change of hundreds of syscalls as the few groups that changed.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "frontend/frontend.h"

namespace sbx::frontend {

struct SyscallGroup {
  std::string name;               // as a policy writes it: "@syscalls.network-io"
  std::set<std::string> members;  // every syscall it expands to
};

// Every group of std.syscalls (from options.stdlibDir, or the embedded copy); empty when the
// module cannot be read or does not resolve.
std::vector<SyscallGroup> stdlibSyscallGroups(const Options& options);

}  // namespace sbx::frontend
