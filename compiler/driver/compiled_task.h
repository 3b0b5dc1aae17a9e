// One root task compiled the way `sbxc compile` compiles it: the plan (mounts, egress allowlist,
// tokens) with its tier, and the seccomp filter of that tier. buildArtifacts (artifacts.h) writes
// these; `sbxc test` judges its assertions on them.
#pragma once
#include <optional>
#include <vector>

#include "backends/seccomp/seccomp.h"
#include "classifier/classify.h"
#include "diag/diagnostic.h"
#include "plan/plan.h"

namespace sbx::backends {

struct CompiledTask {
  plan::Plan plan;
  seccomp::SeccompOutput filter;
};

// nullopt, with a diagnostic added to `errors`, when the task's filter cannot be built.
std::optional<CompiledTask> compileTask(const model::Model& model, const classifier::Report& report, std::size_t index,
                                        seccomp::Codegen codegen, std::vector<Diagnostic>& errors);

}  // namespace sbx::backends
