// sbxc parse: print the resolved model as JSON, with source locations.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/options.h"
#include "frontend/frontend.h"
#include "model/model_json.h"

namespace sbx::cli {

int runParse(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"--format", true, {"json"}});
  auto args = parseArgs("parse", argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 1) return usageError("parse", "give exactly one policy file");
  frontend::Session session({args->get("--stdlib", ""), args->get("--import-root", "")});
  auto result = session.load(args->positionals[0]);
  auto diagnostics = result.diagnostics.sorted();
  printDiagnostics(diagnostics, session.sources(), *args);
  if (!result.model) {
    for (const auto& d : diagnostics)
      if (d.id == codeId(static_cast<int>(Code::IoError)) && !d.span.valid()) return kUsageOrIo;
    return kInvalidInput;
  }
  auto json = model::toJson(*result.model, {&session.sources()});
  fmt::print("{}\n", json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  return kOk;
}

}  // namespace sbx::cli
