// sbxc diff OLD NEW, or sbxc diff --base REF FILE: the authority a policy change adds or removes,
// the lint findings it adds or removes, and the tier change (classifier/authority_diff.h); then
// whether it adds authority at all, proved on the compiled tasks (cli/diff_verdict.h).
#include <fmt/format.h>

#include "classifier/authority_diff.h"
#include "cli/command.h"
#include "cli/diff_verdict.h"
#include "cli/git_revision.h"
#include "cli/load_policy.h"
#include "frontend/syscall_groups.h"

namespace sbx::cli {

int runDiff(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"--format", true, {"text", "json"}});
  specs.push_back({"--base", true, {}});
  auto args = parseArgs("diff", argv, specs);
  if (!args) return kUsageOrIo;
  bool againstRevision = args->has("--base");
  if (againstRevision && args->positionals.size() != 1)
    return usageError("diff", "with --base REF, give one policy file: it is compared with its content at REF");
  if (!againstRevision && args->positionals.size() != 2)
    return usageError("diff", "give the old and the new policy file");
  const std::string& newFile = args->positionals.back();

  // The old side: a file, or the new file at REF in an export of that revision (its imports too).
  RevisionTree revision;
  std::string oldFile = againstRevision ? "" : args->positionals[0];
  if (againstRevision) {
    std::string error;
    auto exported = revision.materialise(newFile, args->get("--base", ""), error);
    if (!exported) {
      fmt::print(stderr, "sbxc diff: {}\n", error);
      return kUsageOrIo;
    }
    oldFile = *exported;  // empty: the file is new since REF, every task is added
  }

  frontend::Options stdlib{args->get("--stdlib", ""), args->get("--import-root", "")};
  // One session per side: both files may have the same path (a file before and after a change).
  frontend::Session oldSession(stdlib), newSession(stdlib);
  std::optional<model::Model> oldModel = model::Model{};
  if (!oldFile.empty()) {
    auto oldPolicy = loadPolicy(oldSession, oldFile, *args);
    if (!oldPolicy.model) return oldPolicy.exitCode;
    oldModel = std::move(oldPolicy.model);
  }
  auto newPolicy = loadPolicy(newSession, newFile, *args);
  if (!newPolicy.model) return newPolicy.exitCode;
  classifier::Options options{classifier::todayUtc()};
  auto diffs =
      classifier::diffAuthority(*oldModel, classifier::classify(*oldModel, options), *newPolicy.model,
                                classifier::classify(*newPolicy.model, options), frontend::stdlibSyscallGroups(stdlib));
  // The verdict is `sbxc prove implies` both ways on the compiled tasks (cli/diff_verdict.h).
  auto verdict = diffVerdict(*oldModel, *newPolicy.model);
  if (args->get("--format", "text") == "json") {
    auto json = classifier::diffJson(diffs);
    json["authority"] = verdictJson(verdict);
    fmt::print("{}\n", json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  } else if (diffs.empty() && verdict.kind == DiffVerdict::Kind::Same) {
    fmt::print("{}", classifier::diffText(diffs));
  } else {
    fmt::print("{}{}", classifier::diffText(diffs), verdictText(verdict));
  }
  return kOk;
}

}  // namespace sbx::cli
