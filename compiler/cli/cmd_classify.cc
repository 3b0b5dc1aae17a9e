// sbxc classify / sbxc explain: each task's tier and the rules that decided it; explain adds the
// declarations behind every decision, the controls the tier demands, seeds and references.
// `sbxc explain SBXnnnn` documents one rule.
#include <fmt/format.h>

#include "classifier/report.h"
#include "cli/command.h"
#include "cli/load_policy.h"

namespace sbx::cli {

namespace {

enum class Mode { Classify, Explain };

int classifyOrExplain(const std::vector<std::string>& argv, Mode mode) {
  const char* name = mode == Mode::Classify ? "classify" : "explain";
  auto specs = commonOptions();
  specs.push_back({"--format", true,
                   mode == Mode::Classify ? std::vector<std::string>{"text", "json"}
                                          : std::vector<std::string>{"text", "json", "markdown"}});
  auto args = parseArgs(name, argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 1) return usageError(name, "give exactly one policy file");
  std::string format = args->get("--format", "text");
  const std::string& target = args->positionals[0];

  if (mode == Mode::Explain && !target.ends_with(".sbx") && target != "-") {
    const classifier::Rule* rule = classifier::findRule(target);
    if (!rule)
      return usageError(name, fmt::format("`{}` is neither a policy file (.sbx) nor a rule; see `sbxc rules`", target));
    if (format == "json")
      fmt::print("{}\n", classifier::ruleJson(*rule).dump(2));
    else
      fmt::print("{}", format == "markdown" ? classifier::ruleMarkdown(*rule) : classifier::ruleText(*rule));
    return kOk;
  }
  if (format == "markdown") return usageError(name, "--format markdown documents a rule, not a policy");

  frontend::Session session({args->get("--stdlib", ""), args->get("--import-root", "")});
  auto loaded = loadPolicy(session, target, *args);
  if (!loaded.model) return loaded.exitCode;
  const model::Model& model = *loaded.model;
  auto report = classifier::classify(model, {classifier::todayUtc()});
  RenderOptions render{colorWanted(1, args->get("--color", "auto"))};
  nlohmann::ordered_json json;
  if (mode == Mode::Classify) json["schema"] = classifier::kClassifySchema;
  json["tasks"] = nlohmann::ordered_json::array();
  std::string text;
  for (std::size_t i = 0; i < model.tasks.size(); ++i) {
    if (!model.tasks[i].root) continue;
    if (format == "json") {
      auto task = classifier::taskJson(model, report, i, session.sources());
      if (mode == Mode::Classify) task.erase("findings");
      json["tasks"].push_back(std::move(task));
    } else {
      if (!text.empty()) text += "\n";
      text += mode == Mode::Classify ? classifier::classifyText(model, report, i, session.sources())
                                     : classifier::explainText(model, report, i, session.sources(), render);
    }
  }
  if (format == "json")
    fmt::print("{}\n", json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  else
    fmt::print("{}", text);
  return kOk;
}

}  // namespace

int runClassify(const std::vector<std::string>& argv) {
  return classifyOrExplain(argv, Mode::Classify);
}
int runExplain(const std::vector<std::string>& argv) {
  return classifyOrExplain(argv, Mode::Explain);
}

}  // namespace sbx::cli
