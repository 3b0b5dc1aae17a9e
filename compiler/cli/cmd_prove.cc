// sbxc prove implies NEW OLD | equivalent A B | no-lethal-path FILE: properties of compiled
// policies, decided exactly (prove/authority_compare.h, docs/prove.md), each refuted by a
// concrete counterexample.
#include <fmt/format.h>

#include "classifier/graph_analysis.h"
#include "cli/command.h"
#include "cli/load_policy.h"
#include "cli/prove_target.h"
#include "prove/authority_compare.h"

namespace sbx::cli {

namespace {

constexpr int kUndecided = kUsageOrIo;  // docs/prove.md: neither proved nor refuted within the bounds

// Prints what `newer` grants beyond `older`; the exit code of that half of the proof.
int reportBeyond(const ProveTarget& newer, const ProveTarget& older) {
  auto c = prove::grantsBeyond(*newer.compiled, *older.compiled);
  if (!c.counterexamples.empty()) {
    fmt::print("counterexample: `{}` grants what `{}` does not\n", newer.name, older.name);
    for (const auto& x : c.counterexamples)
      fmt::print("  {}: {}\n    {}: {}\n    {}: {}\n", x.kind, x.what, newer.name, x.inNew, older.name, x.inOld);
    return kFindings;
  }
  if (!c.undecided.empty()) {
    fmt::print("undecided: whether `{}` grants nothing that `{}` does not\n", newer.name, older.name);
    for (const auto& why : c.undecided) fmt::print("  {}\n", why);
    return kUndecided;
  }
  fmt::print("proved: `{}` grants nothing that `{}` does not ({} syscall filter cells compared)\n", newer.name,
             older.name, c.syscallCells);
  return kOk;
}

int proveLethal(const std::string& file, const ParsedArgs& args) {
  frontend::Session session({args.get("--stdlib", ""), args.get("--import-root", "")});
  auto loaded = loadPolicy(session, file, args);
  if (!loaded.model) return loaded.exitCode;
  const model::Model& model = *loaded.model;
  auto graph = classifier::buildAuthorityGraph(model);
  classifier::FlowAnalysis flow(graph);
  int exit = kOk;
  for (std::size_t t = 0; t < model.tasks.size(); ++t) {
    auto p = flow.lethalPath(t);
    if (!p) continue;
    if (exit == kOk) fmt::print("counterexample: a path from an untrusted input to an egress while a secret is held\n");
    fmt::print("  task `{}` at {}:\n    untrusted: {}\n    private:   {}\n    outbound:  {}\n",
               model.tasks[t].qualifiedName, graph.graph[p->meeting].label,
               classifier::describePath(graph, p->fromUntrusted), classifier::describePath(graph, p->fromPrivate),
               classifier::describePath(graph, p->toOutbound));
    exit = kFindings;
  }
  if (exit == kOk)
    fmt::print("proved: no path from an untrusted input to an egress while a secret is held in `{}` ({} tasks)\n", file,
               model.tasks.size());
  return exit;
}

}  // namespace

int runProve(const std::vector<std::string>& argv) {
  auto args = parseArgs("prove", argv, commonOptions());
  if (!args) return kUsageOrIo;
  const auto& p = args->positionals;
  std::string property = p.empty() ? "" : p[0];
  if (property == "no-lethal-path") {
    if (p.size() != 2) return usageError("prove", "no-lethal-path takes one policy file");
    return proveLethal(p[1], *args);
  }
  if (property != "implies" && property != "equivalent") {
    auto m = closestMatch(property, {"implies", "equivalent", "no-lethal-path"});
    return usageError("prove", property.empty() ? "name a property: implies, equivalent or no-lethal-path"
                                                : fmt::format("no property `{}`{}", property,
                                                              m ? fmt::format("; did you mean `{}`?", *m) : ""));
  }
  if (p.size() != 3) return usageError("prove", fmt::format("{} takes two tasks (FILE or FILE:TASK)", property));
  int exit = kOk;
  auto first = loadProveTarget(p[1], *args, exit);
  if (!first) return exit;
  auto second = loadProveTarget(p[2], *args, exit);
  if (!second) return exit;
  int forward = reportBeyond(*first, *second);
  if (property == "implies") return forward;
  int backward = reportBeyond(*second, *first);
  if (forward == kFindings || backward == kFindings) return kFindings;
  return std::max(forward, backward);
}

}  // namespace sbx::cli
