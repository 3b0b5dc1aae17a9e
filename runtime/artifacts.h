// What sbx-run runs: a compiled task directory (plan.json, seccomp.bpf), or a .sbx policy that
// it has sbxc compile into a cache, so that a second start does no compiling at all.
//
// The cache (`$SBX_RUN_CACHE`, else `$XDG_CACHE_HOME/sbx-run`, `/var/cache/sbx-run` for root,
// `~/.cache/sbx-run`; never a guessable path in /tmp) must be the running user's alone
// (private_directory.h). An entry is keyed by the policy's absolute path and the compiler's
// version; beside the artifacts, sbx-run records (sbx-run.json) every file the compiler read with
// its SHA-256 (`sbxc compile --print-inputs`), the embedded stdlib's digest, the sbxc binary it
// ran, and each plan.json's SHA-256. A start uses the entry only when every input still has its
// digest, the same sbxc would run, and the plan still has its digest; otherwise it recompiles.
// A compile that fails (an invalid policy, or a lint error no @suppress silences) starts nothing
// and prints why; the warnings and notes of one that succeeds are printed when the entry is
// written, and not again by a recompile that finds the same ones (the record keeps their digest).
#pragma once
#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace sbx::run {

// A task as `sbxc compile` left it: its plan (read by plan/plan_json.h, schema and fields checked)
// and the filter the plan names.
struct CompiledTask {
  std::string dir;         // the compiled task directory
  std::string planText;    // plan.json's bytes
  std::string planDigest;  // SHA-256 of planText, computed only for the audit log
  plan::Plan plan;
  std::vector<sock_filter> filter;
};

// Loads DIR/plan.json and the filter it names, checking the plan and the filter's digest.
std::optional<CompiledTask> loadTaskDir(const std::string& dir, std::string& error);

// Compiles POLICY (unless the cache has it, unchanged) and loads the task named `task` (empty:
// the only root task). Compiler diagnostics go to stderr.
std::optional<CompiledTask> loadPolicy(const std::string& policy, const std::string& task, std::string& error);

}  // namespace sbx::run
