// The task's seccomp filter as systemd directives, for the systemd exporter: SystemCallFilter=
// by name (an allow list when the filter's default denies, else a deny list with each call's
// errno or kill), SystemCallErrorNumber= from the default action (unset: kill), SystemCallLog=
// for the calls the filter logs. systemd cannot test arguments and always permits its own
// @default set, so every call that gets another answer than sbxc's filter gives is reported.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

// The directive lines (without the section header), from the filter's OCI profile and its
// specification: the policy's default action (the profile's own default is the answer to numbers
// no syscall table knows) and the syscalls its architectures have.
std::vector<std::string> systemdSyscallDirectives(const nlohmann::ordered_json& profile,
                                                  const seccomp::FilterSpec& spec, std::vector<Loss>& losses);

// The calls systemd 252 adds to every allow list (`systemd-analyze syscall-filter @default`).
std::vector<std::string> systemdAlwaysAllowed();

}  // namespace sbx::exporters
