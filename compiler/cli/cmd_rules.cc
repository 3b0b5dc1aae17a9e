// sbxc rules: every tier rule, escalator and lint finding with its stable ID.
#include <fmt/format.h>

#include "classifier/report.h"
#include "cli/command.h"
#include "cli/options.h"

namespace sbx::cli {

int runRules(const std::vector<std::string>& argv) {
  auto args = parseArgs("rules", argv, {{"--format", true, {"text", "json"}}});
  if (!args) return kUsageOrIo;
  if (!args->positionals.empty())
    return usageError("rules", "takes no arguments; `sbxc explain ID` documents one rule");
  if (args->get("--format", "text") == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : classifier::rules()) out.push_back(classifier::ruleJson(r));
    fmt::print("{}\n", out.dump(2));
    return kOk;
  }
  for (const auto& r : classifier::rules()) {
    auto severity = r.findingSeverity();
    fmt::print("{}  {:<28} {:<9} {:<7}  {}\n", r.id(), r.name, classifier::kindName(r.kind),
               severity ? severityName(*severity) : "-", r.summary);
  }
  return kOk;
}

}  // namespace sbx::cli
