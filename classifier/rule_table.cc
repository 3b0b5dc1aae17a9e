#include "classifier/rule_table.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace sbx::classifier {

namespace {

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto end = text.find("; ");
    out.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
  return out;
}

}  // namespace

std::optional<Severity> Rule::findingSeverity() const {
  switch (severity) {
    case RuleSeverity::Silent:
      return std::nullopt;
    case RuleSeverity::Note:
      return Severity::Note;
    case RuleSeverity::Warning:
      return Severity::Warning;
    case RuleSeverity::Error:
      return Severity::Error;
  }
  return std::nullopt;
}

std::vector<std::string> Rule::referenceList() const {
  return splitList(references);
}
std::vector<std::string> TierInfo::controlList() const {
  return splitList(controls);
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = {
#define SBX_RULE(number, identifier, name, kind, effect, tier, severity, summary, fix, seeds, quote, references) \
  {number, name,  RuleKind::kind, RuleEffect::effect, tier, RuleSeverity::severity, summary,                     \
   fix,    seeds, quote,          references},
#include "classifier/rules.def"
#undef SBX_RULE
  };
  return table;
}

const std::vector<TierInfo>& tiers() {
  static const std::vector<TierInfo> table = {
#define SBX_TIER(level, name, scope, controls) {level, name, scope, controls},
#include "classifier/tiers.def"
#undef SBX_TIER
  };
  return table;
}

std::string SeedDocument::citation() const {
  return std::string(title) + " (" + std::string(url) + ")";
}

const std::vector<SeedDocument>& seedDocuments() {
  static const std::vector<SeedDocument> table = {
#define SBX_SEED(number, title, url) {number, title, url},
#include "classifier/seeds.def"
#undef SBX_SEED
  };
  return table;
}

const SeedDocument& seedDocument(std::string_view number) {
  for (const auto& s : seedDocuments())
    if (s.number == number) return s;
  throw std::logic_error("seed document missing from seeds.def");
}

const Rule& rule(RuleId id) {
  const auto& all = rules();
  auto it = std::find_if(all.begin(), all.end(), [&](const Rule& r) { return r.number == static_cast<int>(id); });
  if (it == all.end()) throw std::logic_error("rule missing from rules.def");
  return *it;
}

const Rule* findRule(std::string_view idOrName) {
  std::string key(idOrName);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& r : rules()) {
    std::string id = r.id();
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
    if (key == id || key == r.name) return &r;
  }
  return nullptr;
}

std::string_view kindName(RuleKind kind) {
  switch (kind) {
    case RuleKind::Tier:
      return "tier";
    case RuleKind::Escalator:
      return "escalator";
    case RuleKind::Lint:
      return "lint";
  }
  return "";
}

}  // namespace sbx::classifier
