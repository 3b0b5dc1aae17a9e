// `--codegen libseccomp`: the specification compiled by libseccomp, the reference the tests and
// the benchmark compare sbxc's own generator with, and a fallback.
#pragma once
#include <string>

#include "bpf/bpf_program.h"
#include "backends/seccomp/flat_rules.h"

namespace sbx::seccomp {

// optimize: libseccomp's SCMP_FLTATR_CTL_OPTIMIZE, 1 (default, linear) or 2 (binary tree).
bool generateLibseccomp(const FilterSpec& spec, int optimize, Program& program, std::string& error);
bool generateLibseccomp(const FlatFilter& flat, int optimize, Program& program, std::string& error);

// The BPF of a libseccomp filter context (scmp_filter_ctx).
bool exportProgram(void* ctx, Program& program, std::string& error);

}  // namespace sbx::seccomp
