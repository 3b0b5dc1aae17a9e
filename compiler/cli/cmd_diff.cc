// sbxc diff OLD NEW: the authority a policy change adds or removes, and the tier change.
#include <fmt/format.h>

#include "classifier/authority_diff.h"
#include "cli/command.h"
#include "cli/load_policy.h"

namespace sbx::cli {

int runDiff(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"--format", true, {"text", "json"}});
  auto args = parseArgs("diff", argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 2) return usageError("diff", "give the old and the new policy file");
  // One session per side: both files may have the same path (a file before and after a change).
  frontend::Session oldSession({args->get("--stdlib", "")}), newSession({args->get("--stdlib", "")});
  auto oldPolicy = loadPolicy(oldSession, args->positionals[0], *args);
  if (!oldPolicy.model) return oldPolicy.exitCode;
  auto newPolicy = loadPolicy(newSession, args->positionals[1], *args);
  if (!newPolicy.model) return newPolicy.exitCode;
  classifier::Options options{classifier::todayUtc()};
  auto diffs = classifier::diffAuthority(*oldPolicy.model, classifier::classify(*oldPolicy.model, options),
                                         *newPolicy.model, classifier::classify(*newPolicy.model, options));
  if (args->get("--format", "text") == "json")
    fmt::print("{}\n",
               classifier::diffJson(diffs).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  else
    fmt::print("{}", classifier::diffText(diffs));
  return kOk;
}

}  // namespace sbx::cli
