#include "classifier/report.h"

#include <fmt/format.h>

#include "classifier/explain_requests.h"

namespace sbx::classifier {

namespace {

std::string_view severityWord(RuleSeverity s) {
  static constexpr std::string_view names[] = {"none (decides the tier)", "note", "warning", "error"};
  return names[static_cast<int>(s)];
}

std::string effectText(const Rule& r) {
  switch (r.effect) {
    case RuleEffect::Floor:
      return fmt::format("the task is at least T{}", r.tier);
    case RuleEffect::Raise:
      return fmt::format("the tier rises by {} (at most T4)", r.tier);
    case RuleEffect::Inherit:
      return "the task takes the highest tier along its delegation chain";
    case RuleEffect::None:
      return r.tier ? fmt::format("applies to tasks at T{} and above", r.tier) : "applies at every tier";
  }
  return "";
}

std::string seedCitation(const Rule& r) {
  return seedDocument(r.seeds).citation();
}

}  // namespace

std::string tierLabel(int tier) {
  return fmt::format("T{} {}", tier, tiers().at(tier).name);
}

std::string location(const Span& span, const SourceManager& sources) {
  if (!span.valid()) return "<unknown>";
  return fmt::format("{}:{}:{}", printable(sources.file(span.file).path), span.line, span.col);
}

nlohmann::ordered_json ruleJson(const Rule& r) {
  return {{"id", r.id()},
          {"name", r.name},
          {"kind", kindName(r.kind)},
          {"severity", severityWord(r.severity).substr(0, severityWord(r.severity).find(' '))},
          {"effect", effectText(r)},
          {"summary", r.summary},
          {"fix", r.fix},
          {"seed", r.seeds},
          {"source", {{"title", seedDocument(r.seeds).title}, {"url", seedDocument(r.seeds).url}}},
          {"quote", r.quote},
          {"references", r.referenceList()}};
}

nlohmann::ordered_json taskJson(const model::Model& model, const Report& report, std::size_t index,
                                const SourceManager& sources) {
  const model::ResolvedTask& task = model.tasks[index];
  const TaskReport& r = report.of(index);
  nlohmann::ordered_json j;
  j["task"] = task.qualifiedName;
  j["location"] = spanToJson(task.span, sources);
  j["tier"] = r.tier;
  j["tierName"] = tiers().at(r.tier).name;
  j["ownTier"] = r.ownTier;
  if (task.expectedTier) j["expectedTier"] = task.expectedTier->value;
  j["rules"] = nlohmann::ordered_json::array();
  for (const auto& d : r.decisions) {
    nlohmann::ordered_json e = nlohmann::ordered_json::array();
    for (const auto& ev : d.evidence) e.push_back({{"text", ev.text}, {"location", spanToJson(ev.span, sources)}});
    j["rules"].push_back({{"id", d.rule->id()},
                          {"name", d.rule->name},
                          {"kind", kindName(d.rule->kind)},
                          {"message", d.message},
                          {"tierBefore", d.tierBefore},
                          {"tierAfter", d.tierAfter},
                          {"evidence", e}});
  }
  j["controls"] = mandatoryControls(r.tier);
  j["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : r.findings) {
    auto d = toJson(f.diagnostic, sources);
    if (f.suppressedBy)
      d["suppressed"] = {{"reason", f.suppressedBy->reason}, {"location", spanToJson(f.suppressedBy->span, sources)}};
    j["findings"].push_back(d);
  }
  return j;
}

nlohmann::ordered_json reportJson(const model::Model& model, const Report& report, std::size_t index,
                                  const SourceManager& sources) {
  nlohmann::ordered_json j{{"schema", kReportSchema}};
  if (!model.stdlibDigest.empty()) j["stdlib"] = "sha256:" + model.stdlibDigest;
  nlohmann::ordered_json task = taskJson(model, report, index, sources);
  for (auto& [key, value] : task.items()) j[key] = std::move(value);
  return j;
}

std::string classifyText(const model::Model& model, const Report& report, std::size_t index,
                         const SourceManager& sources) {
  const model::ResolvedTask& task = model.tasks[index];
  const TaskReport& r = report.of(index);
  std::string out =
      fmt::format("{}: task `{}`: {}\n", location(task.span, sources), task.qualifiedName, tierLabel(r.tier));
  for (const auto& d : r.decisions) {
    std::string where = d.evidence.empty() ? "" : " (" + location(d.evidence.front().span, sources) + ")";
    out += fmt::format("  T{} {} {}: {}{}\n", d.tierAfter, d.rule->id(), d.rule->name, printable(d.message), where);
  }
  if (r.decisions.empty()) out += "  T0 no rule raised the tier: the task only reads and drafts\n";
  return out;
}

std::string explainText(const model::Model& model, const Report& report, std::size_t index,
                        const SourceManager& sources, const RenderOptions& render) {
  const model::ResolvedTask& task = model.tasks[index];
  const TaskReport& r = report.of(index);
  std::string out =
      fmt::format("task `{}` ({}): {}\n", task.qualifiedName, location(task.span, sources), tierLabel(r.tier));
  if (task.expectedTier)
    out += fmt::format("  expected: T{}{}\n", task.expectedTier->value,
                       task.expectedTier->value == r.tier ? " (matches)" : " (differs: tier-drift)");
  out += "\nDecisions:\n";
  if (r.decisions.empty()) out += "  none: the task only reads public or internal data and drafts output (T0)\n";
  for (const auto& d : r.decisions) {
    const Rule& rule = *d.rule;
    out +=
        fmt::format("  {} {} ({}): T{} -> T{}\n", rule.id(), rule.name, kindName(rule.kind), d.tierBefore, d.tierAfter);
    out += fmt::format("    {}\n", printable(d.message));
    for (const auto& ev : d.evidence) {
      out += fmt::format("    {}: {}\n", location(ev.span, sources), printable(ev.text));
      if (ev.span.valid()) out += fmt::format("      | {}\n", printable(sources.file(ev.span.file).line(ev.span.line)));
    }
    out += fmt::format("    seed: \"{}\"\n", rule.quote);
    out += fmt::format("    source: {}\n", seedCitation(rule));
    out += fmt::format("    references: {}\n", rule.references);
  }
  out += requestRulesText(task);
  out += fmt::format("\nControls {} demands:\n", tierLabel(r.tier));
  for (const auto& c : mandatoryControls(r.tier)) out += fmt::format("  - {}\n", c);
  out += "\nFindings:\n";
  if (r.findings.empty()) out += "  none\n";
  for (const auto& f : r.findings) {
    if (f.suppressedBy) {
      out += fmt::format("  suppressed {} {} at {}: {}\n", f.diagnostic.id, f.diagnostic.name,
                         location(f.diagnostic.span, sources), printable(f.suppressedBy->reason));
      continue;
    }
    out += renderText(f.diagnostic, sources, render);
  }
  return out;
}

std::string ruleText(const Rule& r) {
  std::string out = fmt::format("{} {} ({})\n\n{}\n\n", r.id(), r.name, kindName(r.kind), r.summary);
  out += fmt::format("Effect:     {}\n", effectText(r));
  out += fmt::format("Severity:   {}\n", severityWord(r.severity));
  out += fmt::format("Fix:        {}\n", r.fix);
  out += fmt::format("Seed:       \"{}\"\n", r.quote);
  out += fmt::format("Source:     {}\n", seedCitation(r));
  out += fmt::format("References: {}\n", r.references);
  out += fmt::format("Docs:       docs/rules/{}.md\n", r.name);
  return out;
}

std::string ruleMarkdown(const Rule& r) {
  std::string out = fmt::format("# {} {}\n\n", r.id(), r.name);
  out += "<!-- Generated by `sbxc explain " + r.id() + " --format markdown` from classifier/rules.def. -->\n\n";
  out += fmt::format("{}\n\n", r.summary);
  out += "| | |\n|---|---|\n";
  out += fmt::format("| kind | {} |\n| effect | {} |\n| severity | {} |\n", kindName(r.kind), effectText(r),
                     severityWord(r.severity));
  out += fmt::format("\n## Fix\n\n{}\n", r.fix);
  const SeedDocument& seed = seedDocument(r.seeds);
  out += fmt::format("\n## Why\n\nFrom [{}]({}):\n\n> {}\n", seed.title, seed.url, r.quote);
  out += "\n## References\n\n";
  for (const auto& ref : r.referenceList()) out += fmt::format("- {}\n", ref);
  if (r.severity != RuleSeverity::Silent)
    out += fmt::format(
        "\n## Suppressing\n\nOn the declaration the finding points at:\n\n"
        "```\n@suppress({}, reason \"why this is acceptable\", until 2027-01-31)\n```\n",
        r.name);
  return out;
}

}  // namespace sbx::classifier
