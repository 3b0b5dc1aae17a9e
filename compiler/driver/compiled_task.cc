#include "driver/compiled_task.h"

#include <fmt/format.h>

#include "backends/plan.h"

namespace sbx::backends {

std::optional<CompiledTask> compileTask(const model::Model& model, const classifier::Report& report, std::size_t index,
                                        seccomp::Codegen codegen, std::vector<Diagnostic>& errors) {
  const model::ResolvedTask& task = model.tasks[index];
  seccomp::SeccompOptions options;
  options.tier = report.of(index).tier;
  options.codegen = codegen;
  CompiledTask out;
  std::string error;
  if (!seccomp::compileSeccomp(task, options, out.filter, error)) {
    Span where = task.span;
    for (const auto& rule : task.syscalls.rules)
      if (rule.syscall == out.filter.failedSyscall) {
        where = rule.origin.span;
        break;
      }
    errors.push_back(makeDiagnostic(Code::SeccompFilterTooLarge, where,
                                    fmt::format("cannot build the seccomp filter of task `{}`: {}", task.name, error)));
    errors.back().help("merge rules that share an action into groups, or use fewer argument conditions on one syscall");
    return std::nullopt;
  }
  out.plan = buildPlan(task, model);
  out.plan.tier = options.tier;
  out.plan.seccomp = seccomp::planEntry(out.filter, options);
  return out;
}

}  // namespace sbx::backends
