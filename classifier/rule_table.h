// The rule table (rules.def), the tier table (tiers.def) and the seed documents (seeds.def) as
// typed, read-only data.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostic.h"

namespace sbx::classifier {

enum class RuleKind { Tier, Escalator, Lint };
enum class RuleEffect { None, Floor, Raise, Inherit };
enum class RuleSeverity { Silent, Note, Warning, Error };

// Rule numbers as named constants: RuleId::WildcardEgress is 1202.
enum class RuleId : int {
#define SBX_RULE(number, identifier, ...) identifier = number,
#include "classifier/rules.def"
#undef SBX_RULE
};

struct Rule {
  int number;
  std::string_view name;
  RuleKind kind;
  RuleEffect effect;
  int tier;  // Floor: at least this tier; Raise: by this much; Lint: lowest tier it applies at
  RuleSeverity severity;
  std::string_view summary, fix, seeds, quote, references;

  std::string id() const { return codeId(number); }  // "SBX1202"
  std::optional<Severity> findingSeverity() const;   // nullopt for Silent
  std::vector<std::string> referenceList() const;    // references split at "; "
};

// A seed document (seeds.def): the source a rule's quote comes from.
struct SeedDocument {
  std::string_view number, title, url;
  std::string citation() const;  // "Title (URL)"
};

struct TierInfo {
  int level;
  std::string_view name, scope, controls;
  std::vector<std::string> controlList() const;  // controls split at "; "
};

const std::vector<Rule>& rules();
const std::vector<TierInfo>& tiers();
const std::vector<SeedDocument>& seedDocuments();
const SeedDocument& seedDocument(std::string_view number);  // throws for a number seeds.def lacks
const Rule& rule(RuleId id);
const Rule* findRule(std::string_view idOrName);  // "SBX1202", "sbx1202" or "wildcard-egress"
std::string_view kindName(RuleKind kind);

}  // namespace sbx::classifier
