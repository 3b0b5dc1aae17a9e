// `sbx-run --dry-run`: what a start would do, and whether it could, without starting anything.
//
// It prints the resolved mount tree (parent first, nested mounts indented), the egress allowlist,
// the tokens the broker would mint, the limits and a summary of the seccomp filter, then names
// every host path that is missing or unsafe and every other reason the launcher would refuse the
// task. The checks are the launcher's own (prepareMounts, the tool gates' preconditions), run on
// each part separately so that one report lists every problem, not only the first.
#pragma once
#include <cstdio>
#include <string>

#include "runtime/artifacts.h"

namespace sbx::run {

struct DryRunOptions {
  std::string workspace;   // the --workspace given, absolute; empty when none
  std::string stateDir;    // the token broker's state directory; empty when there is none
  std::string stateError;  // why there is none
};

// Writes the report to `out`; returns 0 when the task could start, kLauncherFailure otherwise.
int dryRun(const CompiledTask& task, const DryRunOptions& options, std::FILE* out);

}  // namespace sbx::run
