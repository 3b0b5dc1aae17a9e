// The seccomp back end: a task -> its filter specification -> a BPF program (sbxc's own
// generator or libseccomp), plus the readable disassembly and the OCI profile.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "backends/seccomp/policy.h"
#include "bpf/bpf_program.h"
#include "plan/plan.h"

namespace sbx::seccomp {

enum class Codegen { Sbxc, Libseccomp };

struct SeccompOptions {
  int tier = 1;  // the task's risk tier: baselines apply from T1
  Codegen codegen = Codegen::Sbxc;
};

struct SeccompOutput {
  FilterSpec spec;
  Program program;
  std::string disassembly;    // seccomp.pfc
  std::string profile;        // seccomp.json
  std::string failedSyscall;  // on failure: the syscall whose rules could not be built, if one
};

// False, with `error` saying why, when the filter cannot be built within the kernel's limits.
bool compileSeccomp(const model::ResolvedTask& task, const SeccompOptions& options, SeccompOutput& out,
                    std::string& error);

// The "seccomp" object of plan.json: files, SHA-256 of seccomp.bpf, actions, size.
plan::SeccompEntry planEntry(const SeccompOutput& out, const SeccompOptions& options);

}  // namespace sbx::seccomp
