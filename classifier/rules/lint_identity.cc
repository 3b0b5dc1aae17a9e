// Lint of workload identity: human-identity (SBX1205), shared-identity (SBX1207),
// missing-workload-identity (SBX1215).
#include <fmt/format.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

namespace {

bool sameIdentity(const model::Identity& a, const model::Identity& b) {
  return a.kind == b.kind && a.value == b.value && a.subject == b.subject;
}

// What a task can do, for comparing two tasks that share an identity.
std::string authoritySignature(const model::ResolvedTask& t, int tier) {
  std::string out = fmt::format("T{}", tier);
  for (const auto& p : t.paths) out += fmt::format("|{} {}", model::nameOf(p.access), p.path);
  for (const auto* d : model::allDestinations(t)) out += "|connect " + d->text;
  for (const auto& s : t.secrets) out += "|secret " + s.source + " " + s.audience;
  for (const auto& tool : t.tools)
    for (const auto& a : tool.actions) out += fmt::format("|{} {} {}", tool.system, a.name, model::nameOf(a.effect));
  return out;
}

}  // namespace

void lintIdentity(const LintContext& c, FindingSink& sink) {
  const auto& t = c.task;
  if (!t.identity) {
    if (c.report.tier >= rule(RuleId::MissingWorkloadIdentity).tier)
      sink.add(RuleId::MissingWorkloadIdentity, t.span,
               fmt::format("task {} is T{} but declares no workload identity", ticked(t.name), c.report.tier));
    return;
  }
  if (t.identity->kind == model::IdentityKind::Person)
    sink.add(RuleId::HumanIdentity, t.identity->origin.span,
             fmt::format("task {} runs as the person {}", ticked(t.name), t.identity->value));
  std::string mine = authoritySignature(t, c.report.tier);
  for (std::size_t i = 0; i < c.model.tasks.size(); ++i) {
    const auto& other = c.model.tasks[i];
    if (i == c.index || !other.identity || !sameIdentity(*t.identity, *other.identity)) continue;
    if (authoritySignature(other, c.all[i].tier) == mine) continue;
    auto& d = sink.add(RuleId::SharedIdentity, t.identity->origin.span,
                       fmt::format("identity {} is also used by task {}, which has different authority",
                                   t.identity->value, ticked(other.qualifiedName)));
    d.label(other.identity->origin.span, "the other task's identity");
    break;
  }
}

}  // namespace sbx::classifier
