// sbxc graph: the authority graph of a policy as Graphviz DOT (render with `dot -Tsvg`).
#include <fmt/format.h>

#include "classifier/dot.h"
#include "cli/command.h"
#include "cli/load_policy.h"
#include "util/atomic_file.h"

namespace sbx::cli {

int runGraph(const std::vector<std::string>& argv) {
  auto specs = commonOptions();
  specs.push_back({"-o", true, {}});
  auto args = parseArgs("graph", argv, specs);
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 1) return usageError("graph", "give exactly one policy file");
  frontend::Session session({args->get("--stdlib", ""), args->get("--import-root", "")});
  auto loaded = loadPolicy(session, args->positionals[0], *args);
  if (!loaded.model) return loaded.exitCode;
  std::string dot = classifier::toDot(*loaded.model, classifier::buildAuthorityGraph(*loaded.model));
  if (!args->has("-o")) {
    fmt::print("{}", dot);
    return kOk;
  }
  std::string error;
  if (!writeFilesAtomically({{args->get("-o", ""), dot, 0644}}, error)) {
    fmt::print(stderr, "sbxc graph: {}\n", error);
    return kUsageOrIo;
  }
  return kOk;
}

}  // namespace sbx::cli
