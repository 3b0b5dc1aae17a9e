// A held system call as a person reads it: its name (libseccomp's table for the call's
// architecture) and its arguments, strace-like: flags by name for the calls that take them,
// strings (paths) read from the caller's memory, everything else as a number.
//
// The caller's memory is read with process_vm_readv, a page at a time and at most kMaxString
// bytes: a bad pointer gives `0x...` instead of a string, never a fault in the launcher. The
// caller may change its memory after the read (another thread): the text is what the call
// pointed at when it was read, a report, never a decision.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sbx::run {

struct HeldCall {
  pid_t pid = 0;  // in the launcher's PID namespace
  std::uint32_t arch = 0;
  std::uint32_t nr = 0;
  std::uint64_t args[6] = {};
};

// The call's name, or "syscall_N" when libseccomp does not know it.
std::string syscallName(std::uint32_t arch, std::uint32_t nr);

// `chroot("/tmp")`, `ptrace(PTRACE_TRACEME, 0, 0x0, 0x0)`, `name(...)` for a call without a
// known signature.
std::string describeCall(const HeldCall& call);

// Up to `limit` bytes of the NUL-terminated string at `address` in `pid`'s memory; false when
// none of it could be read.
bool readString(pid_t pid, std::uint64_t address, std::size_t limit, std::string& text, bool& truncated);

}  // namespace sbx::run
