// Whether sbx-run could hand a task's tools their tokens: each gated tool fetches its token with
// a few calls of its own (common/tables/gate_calls.def), which the task's seccomp filter must
// allow. sbx-run refuses such a task before it starts; `sbxc check` and `sbxc compile` say so
// first, at the tool, as tool-gate-calls-denied (SBX0060).
#pragma once
#include <optional>
#include <vector>

#include "bpf/bpf_program.h"
#include "classifier/report.h"
#include "diag/diagnostic.h"
#include "model/model.h"

namespace sbx::backends {

// The error for one root task and its compiled filter; nothing when no tool holds a token or the
// filter allows the gate's calls.
std::optional<Diagnostic> toolGateCallsDenied(const model::ResolvedTask& task, const seccomp::Program& filter);

// For `sbxc check`, which builds no artifacts: compiles the filter of each root task whose tools
// hold tokens, and checks it.
std::vector<Diagnostic> checkToolGates(const model::Model& model, const classifier::Report& report);

}  // namespace sbx::backends
