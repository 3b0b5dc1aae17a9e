// Lint of the controls a tier makes mandatory: missing-limits (SBX1216), tier-drift (SBX1211).
#include <fmt/format.h>

#include "classifier/rules/context.h"

namespace sbx::classifier {

void lintControls(const LintContext& c, FindingSink& sink) {
  const auto& t = c.task;
  int tier = c.report.tier;
  if (tier >= rule(RuleId::MissingLimits).tier) {
    std::vector<std::string> missing;
    if (!t.timeoutMs) missing.push_back("`timeout`");
    if (!t.limits.memoryBytes) missing.push_back("`memory`");
    if (!t.limits.pids) missing.push_back("`pids`");
    if (!missing.empty())
      sink.add(RuleId::MissingLimits, t.span,
               fmt::format("task {} is T{} but sets no {}", ticked(t.name), tier, listOf(missing)));
  }
  if (t.expectedTier && t.expectedTier->value != tier) {
    auto& d =
        sink.add(RuleId::TierDrift, t.expectedTier->origin.span,
                 fmt::format("task {} expects tier {} but is tier {}", ticked(t.name), t.expectedTier->value, tier));
    for (const auto& decision : c.report.decisions)
      if (decision.tierAfter > decision.tierBefore)
        d.note(fmt::format("{} ({}) raised it to T{}: {}", decision.rule->id(), decision.rule->name, decision.tierAfter,
                           decision.message));
    if (c.chains.via[c.index])
      d.note(fmt::format("it inherits T{} from the delegated task {}", tier,
                         ticked(c.model.tasks[*c.chains.via[c.index]].qualifiedName)));
  }
}

}  // namespace sbx::classifier
