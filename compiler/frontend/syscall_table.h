// Syscall names and numbers from libseccomp's tables for the architectures sbxc targets.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/enums.h"

namespace sbx::frontend {

// Known to libseccomp on x86_64 or aarch64.
bool syscallKnown(std::string_view name);
// Every known name, sorted, for "did you mean".
const std::vector<std::string>& knownSyscalls();
// The syscall's number on `arch`, or nullopt where that architecture lacks it.
std::optional<int> syscallNumber(model::Arch arch, std::string_view name);

}  // namespace sbx::frontend
