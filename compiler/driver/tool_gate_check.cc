#include "driver/tool_gate_check.h"

#include <algorithm>

#include <fmt/format.h>

#include "backends/seccomp/seccomp.h"
#include "backends/token_plan.h"
#include "bpf/gate_calls.h"

namespace sbx::backends {

namespace {

// The first tool sbx-run would gate: one that the plan gives a token to.
const model::Tool* firstGatedTool(const model::ResolvedTask& task) {
  for (const auto& token : tokenScopes(task))
    for (const auto& tool : task.tools)
      if (!token.tool.empty() && tool.name == token.tool) return &tool;
  return nullptr;
}

}  // namespace

std::optional<Diagnostic> toolGateCallsDenied(const model::ResolvedTask& task, const seccomp::Program& filter) {
  const model::Tool* tool = firstGatedTool(task);
  if (!tool) return std::nullopt;
  std::string denied = seccomp::gateCallsDenied(filter);
  if (denied.empty()) return std::nullopt;
  Diagnostic d = makeDiagnostic(
      Code::ToolGateCallsDenied, tool->nameSpan,
      fmt::format("tool `{}` gets its token through sbx-run's tool gate, but the syscall policy of task `{}` "
                  "denies {}, which the gate makes to fetch it",
                  tool->name, task.name, denied));
  d.help(
      "allow them in the task's syscalls, e.g. `allow socket if arg0 == AF_UNIX` and `allow connect, sendmsg` "
      "(a network client's profile usually does; docs/tokens.md)");
  return d;
}

std::vector<Diagnostic> checkToolGates(const model::Model& model, const classifier::Report& report) {
  std::vector<Diagnostic> out;
  for (std::size_t index = 0; index < model.tasks.size(); ++index) {
    const model::ResolvedTask& task = model.tasks[index];
    if (!task.root || !firstGatedTool(task)) continue;
    seccomp::SeccompOptions options;
    options.tier = report.of(index).tier;
    seccomp::SeccompOutput filter;
    std::string error;
    if (!seccomp::compileSeccomp(task, options, filter, error)) continue;  // compile reports it
    if (auto d = toolGateCallsDenied(task, filter.program)) out.push_back(std::move(*d));
  }
  return out;
}

}  // namespace sbx::backends
