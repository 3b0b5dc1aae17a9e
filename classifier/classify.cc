// The classifier's pipeline, in one place: build the authority graph, decide each task's own tier
// (tier rules, then escalators E5, E1, E2, E4, E6), inherit along delegation chains (E3), run the
// lint passes, then apply in-source suppressions.
#include "classifier/classify.h"

#include <chrono>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "classifier/rules/context.h"

namespace sbx::classifier {

Diagnostic& FindingSink::add(RuleId id, Span span, std::string message) {
  const Rule& r = rule(id);
  Diagnostic d;
  d.id = r.id();
  d.name = std::string(r.name);
  d.severity = r.findingSeverity().value_or(Severity::Note);
  d.message = std::move(message);
  d.span = span;
  d.help(std::string(r.fix));
  findings_.push_back(std::move(d));
  return findings_.back();
}

namespace {

using LintPass = void (*)(const LintContext&, FindingSink&);
constexpr LintPass kLintPasses[] = {lintEscalations, lintPaths,    lintEgress,   lintSecrets, lintAuthority,
                                    lintIdentity,    lintControls, lintSyscalls, lintRequests};

// E3: a task delegating to a higher-tier task takes that tier.
void inheritDelegation(const model::Model& model, std::size_t index, const DelegationChains& chains,
                       TaskReport& report) {
  report.tier = std::max(report.ownTier, chains.tier[index]);
  if (!chains.via[index] || report.tier <= report.ownTier) return;
  std::size_t via = *chains.via[index];
  std::vector<Evidence> evidence;
  for (const auto& d : model.tasks[index].delegations)
    if (d.task == via)
      evidence.push_back({d.origin.span, fmt::format("delegates to {} (T{})", ticked(d.target), chains.tier[via])});
  const Rule& r = rule(RuleId::Delegation);
  report.decisions.push_back({&r,
                              fmt::format("inherits T{} from the delegation chain through {}", report.tier,
                                          ticked(model.tasks[via].qualifiedName)),
                              evidence, report.ownTier, report.tier});
}

bool isSuppressionRule(const Diagnostic& d) {
  return d.name == rule(RuleId::ExpiredSuppression).name || d.name == rule(RuleId::UnusedSuppression).name ||
         d.name == rule(RuleId::UnknownSuppression).name;
}

// Matches findings with the task's @suppress attributes; reports expired, unused and unknown ones.
void applySuppressions(const model::ResolvedTask& task, const model::Date& today, std::vector<Diagnostic> raw,
                       TaskReport& report) {
  FindingSink extra;
  std::set<const model::Suppression*> used, expired;
  for (const auto& s : task.suppressions) {
    const Rule* r = findRule(s.rule);
    if (!r)
      extra.add(RuleId::UnknownSuppression, s.span, fmt::format("no rule is called {}", ticked(s.rule)));
    else if (!r->findingSeverity())
      extra.add(
          RuleId::UnknownSuppression, s.span,
          fmt::format("{} ({}) decides the tier and raises no finding; tiers cannot be suppressed", r->id(), r->name));
    else if (s.until && *s.until < today) {
      expired.insert(&s);
      extra.add(RuleId::ExpiredSuppression, s.span,
                fmt::format("the suppression of {} expired on {:04}-{:02}-{:02}", r->name, s.until->year,
                            s.until->month, s.until->day));
    }
  }
  for (auto& d : raw) {
    const model::Suppression* by = nullptr;
    if (!isSuppressionRule(d))
      for (const auto& s : task.suppressions) {
        const Rule* r = findRule(s.rule);
        if (r && r->id() == d.id && (s.target.contains(d.span) || d.span.contains(s.target)) && !expired.count(&s)) {
          by = &s;
          break;
        }
      }
    if (by) used.insert(by);
    report.findings.push_back({std::move(d), by ? std::optional(*by) : std::nullopt});
  }
  for (const auto& s : task.suppressions) {
    const Rule* r = findRule(s.rule);
    if (r && r->findingSeverity() && !used.count(&s) && !expired.count(&s))
      extra.add(RuleId::UnusedSuppression, s.span,
                fmt::format("nothing in the suppressed declaration raises {} ({})", r->name, r->id()));
  }
  for (auto& d : extra.take()) report.findings.push_back({std::move(d), std::nullopt});
  std::stable_sort(report.findings.begin(), report.findings.end(), [](const Finding& a, const Finding& b) {
    const Span &x = a.diagnostic.span, &y = b.diagnostic.span;
    return std::tie(x.file, x.line, x.col, a.diagnostic.id) < std::tie(y.file, y.line, y.col, b.diagnostic.id);
  });
}

}  // namespace

model::Date todayUtc() {
  using namespace std::chrono;
  sys_seconds now = time_point_cast<seconds>(system_clock::now());
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    long long value = std::strtoll(epoch, &end, 10);
    if (end && *end == '\0' && end != epoch) now = sys_seconds{seconds{value}};
  }
  year_month_day day{floor<days>(now)};
  return {static_cast<int>(day.year()), static_cast<int>(static_cast<unsigned>(day.month())),
          static_cast<int>(static_cast<unsigned>(day.day()))};
}

Report classify(const model::Model& model, const Options& options) {
  AuthorityGraph graph = buildAuthorityGraph(model);
  FlowAnalysis flow(graph);
  Report report;
  std::vector<int> ownTiers;
  for (std::size_t i = 0; i < model.tasks.size(); ++i) {
    TaskContext context{model, i, model.tasks[i], graph, flow};
    TaskReport r;
    r.task = i;
    r.decisions = tierDecisions(context);
    r.ownTier = r.decisions.empty() ? 0 : r.decisions.back().tierAfter;
    applyEscalators(context, r);
    ownTiers.push_back(r.ownTier);
    report.tasks.push_back(std::move(r));
  }
  DelegationChains chains = analyseDelegations(model, ownTiers);
  for (std::size_t i = 0; i < model.tasks.size(); ++i) inheritDelegation(model, i, chains, report.tasks[i]);
  for (std::size_t i = 0; i < model.tasks.size(); ++i) {
    const model::ResolvedTask& task = model.tasks[i];
    LintContext context{{model, i, task, graph, flow}, report.tasks[i], chains, report.tasks};
    FindingSink sink;
    for (LintPass pass : kLintPasses) pass(context, sink);
    applySuppressions(task, options.today, sink.take(), report.tasks[i]);
  }
  return report;
}

std::vector<Diagnostic> Report::activeFindings(const model::Model& model) const {
  std::vector<Diagnostic> out;
  for (const auto& t : tasks)
    if (model.tasks[t.task].root)
      for (const auto& f : t.findings)
        if (!f.suppressedBy) out.push_back(f.diagnostic);
  // A finding inside a profile is found once per task that uses it: report it once.
  auto key = [](const Diagnostic& d) { return std::tie(d.span.file, d.span.line, d.span.col, d.id, d.message); };
  std::stable_sort(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  out.erase(
      std::unique(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
      out.end());
  return out;
}

std::vector<std::string> mandatoryControls(int tier) {
  std::vector<std::string> out;
  for (const auto& t : tiers())
    if (t.level <= tier)
      for (auto& c : t.controlList()) out.push_back(std::move(c));
  return out;
}

}  // namespace sbx::classifier
