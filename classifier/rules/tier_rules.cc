// Tier rules (rules.def SBX1001-SBX1011): the facts that put a task in a tier, each with the
// declarations that establish it. A task's own tier is the highest tier any of them forces.
#include <fmt/format.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

namespace {

using Found = std::vector<Evidence>;
using model::ResolvedTask;

Found pathsWith(const ResolvedTask& t, model::Access access, std::string_view verb) {
  Found out;
  for (const auto& p : t.paths)
    if (p.access == access) out.push_back({p.origin.span, fmt::format("{} {}", verb, model::describePath(p))});
  return out;
}

// Exec grants that run generated, user-supplied or validator code; one fixed program does not.
Found runsCode(const ResolvedTask& t) {
  Found out;
  for (const auto& p : t.paths)
    if (p.access == model::Access::Exec)
      if (auto why = execRunsCode(t, p))
        out.push_back({p.origin.span, fmt::format("executes from {}: {}", model::describePath(p), *why)});
  return out;
}

Found networkEgress(const ResolvedTask& t) {
  Found out;
  if (t.network && t.network->value == model::NetworkMode::Host)
    out.push_back({t.network->origin.span, "shares the host network"});
  for (const auto* d : model::allDestinations(t))
    out.push_back({d->origin.span, d->tool.empty() ? fmt::format("connects to {}", d->text)
                                                   : fmt::format("tool {} connects to {}", ticked(d->tool), d->text)});
  return out;
}

Found inputsOf(const ResolvedTask& t, model::Sensitivity level) {
  Found out;
  for (const auto& in : t.inputs)
    if (in.sensitivity == level)
      out.push_back({in.origin.span, fmt::format("input {} is {}", ticked(in.name), model::nameOf(level))});
  return out;
}

// Declared secrets, and host credentials a path grant reaches (a deploy key read from ~/.ssh is
// a secret as much as a minted token).
Found usesSecret(const ResolvedTask& t) {
  Found out;
  // A secret given to nobody is not minted (unused-grant): the task never touches it.
  for (const auto& s : t.secrets)
    if (model::secretGiven(t, s)) out.push_back({s.origin.span, fmt::format("holds secret {}", ticked(s.name))});
  for (const auto& p : t.paths)
    if (auto location = credentialLocationCovered(p.path))
      out.push_back({p.origin.span, fmt::format("{}s host credentials at {} ({})", model::nameOf(p.access),
                                                ticked(p.path), *location)});
  return out;
}

// Actions of tools on systems of one class, whose effect passes `want`.
template <typename Want>
Found actionsOn(const ResolvedTask& t, SystemClass cls, Want want) {
  Found out;
  for (const auto& tool : t.tools) {
    if (systemClass(tool) != cls) continue;
    for (const auto& a : tool.actions)
      if (want(a))
        out.push_back({a.origin.span, fmt::format("tool {} action {} {}s on {} system {}", ticked(tool.name),
                                                  ticked(a.name), model::nameOf(a.effect),
                                                  tool.environment ? model::nameOf(*tool.environment) : "production",
                                                  ticked(tool.system))});
  }
  return out;
}

Found writesRepository(const ResolvedTask& t) {
  return actionsOn(t, SystemClass::DevelopmentOrTest, [](const model::Action& a) { return changesState(a.effect); });
}

Found writesStaging(const ResolvedTask& t) {
  return actionsOn(t, SystemClass::Staging, [](const model::Action& a) { return changesState(a.effect); });
}

Found productionAuthority(const ResolvedTask& t) {
  return actionsOn(t, SystemClass::Production, [](const model::Action& a) { return changesState(a.effect); });
}

Found irreversible(const ResolvedTask& t) {
  Found out;
  for (const auto& tool : t.tools)
    for (const auto& a : tool.actions)
      if (a.reversibility == model::Reversibility::Irreversible)
        out.push_back(
            {a.origin.span, fmt::format("tool {} action {} is irreversible", ticked(tool.name), ticked(a.name))});
  return out;
}

Found approves(const ResolvedTask& t) {
  Found out;
  for (const auto& tool : t.tools)
    for (const auto& a : tool.actions)
      if (a.effect == model::Effect::Approve)
        out.push_back({a.origin.span, fmt::format("tool {} action {} approves", ticked(tool.name), ticked(a.name))});
  return out;
}

struct TierRule {
  RuleId id;
  Found (*evidence)(const ResolvedTask&);
};

constexpr TierRule kTierRules[] = {
    {RuleId::WritesDeclaredPaths, [](const ResolvedTask& t) { return pathsWith(t, model::Access::Write, "writes"); }},
    {RuleId::ExecutesCode, runsCode},
    {RuleId::NetworkEgress, networkEgress},
    {RuleId::ConfidentialData, [](const ResolvedTask& t) { return inputsOf(t, model::Sensitivity::Confidential); }},
    {RuleId::WritesRepository, writesRepository},
    {RuleId::UsesSecret, usesSecret},
    {RuleId::ReadsSecretData, [](const ResolvedTask& t) { return inputsOf(t, model::Sensitivity::Secret); }},
    {RuleId::WritesNonproductionRecord, writesStaging},
    {RuleId::ProductionAuthority, productionAuthority},
    {RuleId::IrreversibleAction, irreversible},
    {RuleId::ApprovesActions, approves},
};

}  // namespace

std::vector<Decision> tierDecisions(const TaskContext& context) {
  std::vector<Decision> out;
  int tier = 0;
  for (const auto& r : kTierRules) {
    Found evidence = r.evidence(context.task);
    if (evidence.empty()) continue;
    const Rule& info = rule(r.id);
    int after = std::max(tier, info.tier);
    std::string message = evidence.front().text;
    if (evidence.size() > 1) message += fmt::format(" (and {} more)", evidence.size() - 1);
    out.push_back({&info, std::move(message), std::move(evidence), tier, after});
    tier = after;
  }
  return out;
}

std::string ticked(std::string_view name) {
  return fmt::format("`{}`", name);
}

std::string listOf(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return out;
}

}  // namespace sbx::classifier
