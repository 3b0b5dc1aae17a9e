// Escalators E1-E6 (rules.def SBX1101-SBX1106) applied to the tier the task's own declarations
// give. E3 (delegation) needs every task's tier first and is applied in classify.cc.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

namespace {

void escalate(TaskReport& report, RuleId id, std::string message, std::vector<Evidence> evidence) {
  const Rule& r = rule(id);
  int before = report.ownTier;
  int after = r.effect == RuleEffect::Raise ? std::min(4, before + r.tier) : std::max(before, r.tier);
  report.decisions.push_back({&r, std::move(message), std::move(evidence), before, after});
  report.ownTier = after;
}

std::vector<Evidence> pathEvidence(const AuthorityGraph& g, const GraphPath& path) {
  std::vector<Evidence> out;
  for (Vertex v : path) out.push_back({g.graph[v].span, g.graph[v].label});
  return out;
}

// E5: novel, high-variance or externally facing tasks are always sandboxed.
void novelTask(const TaskContext& c, TaskReport& report) {
  std::vector<Evidence> found;
  const auto& t = c.task;
  if (t.maturity && t.maturity->value != model::Maturity::Stable)
    found.push_back({t.maturity->origin.span, fmt::format("maturity {}", model::nameOf(t.maturity->value))});
  if (t.facing && t.facing->value == model::Facing::External)
    found.push_back({t.facing->origin.span, "facing external"});
  if (!found.empty()) escalate(report, RuleId::NovelTask, std::string(rule(RuleId::NovelTask).summary), found);
}

// E1: untrusted content plus egress, secrets or write authority.
void untrustedInput(const TaskContext& c, TaskReport& report) {
  if (!c.flow.untrustedReaches(c.index)) return;
  const auto& t = c.task;
  std::vector<Evidence> authority;
  if (auto dests = model::allDestinations(t); !dests.empty())
    authority.push_back({dests.front()->origin.span, "egress to " + dests.front()->text});
  else if (t.network && t.network->value == model::NetworkMode::Host)
    authority.push_back({t.network->origin.span, "the host network"});
  for (const auto& s : t.secrets)
    if (model::secretGiven(t, s)) {  // a secret given to nobody is not minted
      authority.push_back({s.origin.span, "secret " + ticked(s.name)});
      break;
    }
  for (const auto& p : t.paths)
    if (credentialLocationCovered(p.path)) {
      authority.push_back({p.origin.span, "host credentials at " + ticked(p.path)});
      break;
    }
  for (const auto& p : t.paths)
    if (p.access == model::Access::Write) {
      authority.push_back({p.origin.span, "writes " + model::describePath(p)});
      break;
    }
  for (const auto& tool : t.tools)
    for (const auto& a : tool.actions)
      if (changesState(a.effect)) {
        authority.push_back({a.origin.span, fmt::format("action {} ({})", ticked(a.name), model::nameOf(a.effect))});
        break;
      }
  if (authority.empty()) return;
  auto evidence = pathEvidence(c.graph, c.flow.untrustedPathTo(c.index));
  evidence.insert(evidence.end(), authority.begin(), authority.end());
  escalate(report, RuleId::UntrustedInput,
           fmt::format("untrusted content reaches this task ({}), which also holds authority",
                       describePath(c.graph, c.flow.untrustedPathTo(c.index))),
           evidence);
}

// E2: untrusted input, private data and an outbound channel meet.
void lethalCombination(const TaskContext& c, TaskReport& report) {
  auto path = c.flow.lethalPath(c.index);
  if (!path) return;
  std::vector<Evidence> evidence = pathEvidence(c.graph, path->fromUntrusted);
  for (const auto& e : pathEvidence(c.graph, path->fromPrivate)) evidence.push_back(e);
  for (const auto& e : pathEvidence(c.graph, path->toOutbound)) evidence.push_back(e);
  escalate(report, RuleId::LethalCombination,
           fmt::format("untrusted input ({}) and private data ({}) meet at {}, which reaches an outbound channel ({})",
                       describePath(c.graph, path->fromUntrusted), describePath(c.graph, path->fromPrivate),
                       c.graph.graph[path->meeting].label, describePath(c.graph, path->toOutbound)),
           evidence);
}

// E4: credentials passed to another agent.
void credentialPassing(const TaskContext& c, TaskReport& report) {
  std::vector<Evidence> found;
  for (const auto& d : c.task.delegations) {
    // `passing secret NAME` is recorded as credentials plus the name: report the names then.
    bool all = std::find(d.passes.begin(), d.passes.end(), model::PassKind::Credentials) != d.passes.end();
    if (all && d.secrets.empty())
      found.push_back({d.origin.span, fmt::format("passes its credentials to {}", ticked(d.target))});
    for (const auto& s : d.secrets)
      found.push_back({d.origin.span, fmt::format("passes secret {} to {}", ticked(s), ticked(d.target))});
  }
  if (!found.empty())
    escalate(report, RuleId::CredentialPassing, std::string(rule(RuleId::CredentialPassing).summary), found);
}

// E6: an always-on operator across several systems.
void alwaysOn(const TaskContext& c, TaskReport& report) {
  const auto& t = c.task;
  if (!t.lifecycle || t.lifecycle->value != model::Lifecycle::AlwaysOn) return;
  std::set<std::string> systems;
  std::vector<Evidence> found{{t.lifecycle->origin.span, "operator always-on"}};
  for (const auto& tool : t.tools)
    if (!tool.system.empty() && systems.insert(tool.system).second)
      found.push_back({tool.origin.span, fmt::format("tool {} acts on {}", ticked(tool.name), ticked(tool.system))});
  if (systems.size() < 2) return;
  escalate(report, RuleId::AlwaysOn, fmt::format("an always-on operator across {} systems", systems.size()), found);
}

}  // namespace

void applyEscalators(const TaskContext& context, TaskReport& report) {
  novelTask(context, report);
  untrustedInput(context, report);
  lethalCombination(context, report);
  credentialPassing(context, report);
  alwaysOn(context, report);
}

}  // namespace sbx::classifier
