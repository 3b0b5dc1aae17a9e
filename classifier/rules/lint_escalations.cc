// The escalators that are also findings: lethal-combination (E2, SBX1102), credential-passing
// (E4, SBX1104); and delegation-cycle (SBX1220).
#include <algorithm>

#include <fmt/format.h>

#include "classifier/rules/context.h"

namespace sbx::classifier {

void lintEscalations(const LintContext& c, FindingSink& sink) {
  for (const auto& decision : c.report.decisions) {
    if (decision.rule->number == static_cast<int>(RuleId::LethalCombination)) {
      // Reported at the outbound channel (the last piece of evidence), where the fix usually goes.
      auto& d = sink.add(RuleId::LethalCombination, decision.evidence.back().span, decision.message);
      for (std::size_t i = 0; i + 1 < decision.evidence.size(); ++i)
        if (decision.evidence[i].span.valid() && decision.evidence[i].span != decision.evidence.back().span)
          d.label(decision.evidence[i].span, decision.evidence[i].text);
    }
    if (decision.rule->number == static_cast<int>(RuleId::CredentialPassing))
      for (const auto& e : decision.evidence) sink.add(RuleId::CredentialPassing, e.span, "the task " + e.text);
  }
  for (const auto& cycle : c.chains.cycles) {
    if (!std::binary_search(cycle.begin(), cycle.end(), c.index)) continue;
    for (const auto& d : c.task.delegations) {
      if (!std::binary_search(cycle.begin(), cycle.end(), d.task)) continue;
      std::string members;
      for (auto i : cycle) members += (members.empty() ? "" : ", ") + ticked(c.model.tasks[i].qualifiedName);
      sink.add(RuleId::DelegationCycle, d.origin.span,
               fmt::format("delegating to {} closes a cycle of delegations among {}", ticked(d.target), members));
    }
  }
}

}  // namespace sbx::classifier
