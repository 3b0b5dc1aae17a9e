// sbxc's own seccomp code generator (the default; `--codegen libseccomp` is the reference).
#pragma once
#include <string>

#include "bpf/bpf_program.h"
#include "backends/seccomp/policy.h"

namespace sbx::seccomp {

bool generateSbxc(const FilterSpec& spec, Program& program, std::string& error);

}  // namespace sbx::seccomp
