// Limits: each resource limit is set once per limits block, and is a single-valued setting
// across the task and its profiles (the task's value wins; two profiles must agree).
#include "frontend/resolve_internal.h"

namespace sbx::frontend::resolver {

void Resolver::addLimits(TaskState& state, const ast::Limits& block, const std::vector<std::string>& via,
                         bool fromTask) {
  model::ResolvedTask& task = state.task;
  collectSuppressions(task, block);
  std::map<model::Limit, Span> seenHere;
  for (const auto& item : block.items) {
    collectSuppressions(task, item);
    if (auto [it, fresh] = seenHere.emplace(item.kind, item.span); !fresh) {
      diags_.report(Code::DuplicateSetting, item.span, fmt::format("limit `{}` is set twice", model::nameOf(item.kind)))
          .label(it->second, "first set here");
      continue;
    }
    std::optional<model::LimitValue>* slot = nullptr;
    switch (item.kind) {
      case model::Limit::Memory:
        slot = &task.limits.memoryBytes;
        break;
      case model::Limit::Pids:
        slot = &task.limits.pids;
        break;
      case model::Limit::Cpu:
        slot = &task.limits.cpuMs;
        break;
      case model::Limit::Files:
        slot = &task.limits.openFiles;
        break;
      case model::Limit::FileSize:
        slot = &task.limits.fileSizeBytes;
        break;
    }
    single(state, *slot, fmt::format("limit {}", model::nameOf(item.kind)), item.span, fromTask, [&] {
      return model::LimitValue{item.value.value, origin(item.span, via)};
    });
  }
}

}  // namespace sbx::frontend::resolver
