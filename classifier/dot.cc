#include "classifier/dot.h"

#include <set>

#include <fmt/format.h>

#include "classifier/graph_analysis.h"

namespace sbx::classifier {

namespace {

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string_view shape(NodeKind kind) {
  static constexpr std::string_view shapes[] = {"box3d",  "component", "box",     "note",
                                                "folder", "cylinder",  "ellipse", "octagon"};
  return shapes[static_cast<int>(kind)];
}

// The tasks to draw: the root tasks and everything they delegate to.
std::vector<bool> tasksShown(const model::Model& model) {
  std::vector<bool> shown(model.tasks.size());
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < model.tasks.size(); ++i)
    if (model.tasks[i].root) pending.push_back(i);
  while (!pending.empty()) {
    std::size_t t = pending.back();
    pending.pop_back();
    if (shown[t]) continue;
    shown[t] = true;
    for (const auto& d : model.tasks[t].delegations) pending.push_back(d.task);
  }
  return shown;
}

}  // namespace

std::string toDot(const model::Model& model, const AuthorityGraph& authority) {
  const Graph& g = authority.graph;
  FlowAnalysis flow(authority);
  std::set<std::pair<Vertex, Vertex>> risky;
  std::set<Vertex> riskyNodes;
  auto mark = [&](const GraphPath& path) {
    for (std::size_t i = 0; i < path.size(); ++i) {
      riskyNodes.insert(path[i]);
      if (i + 1 < path.size()) risky.insert({path[i], path[i + 1]});
    }
  };
  for (std::size_t t = 0; t < model.tasks.size(); ++t)
    if (auto p = flow.lethalPath(t)) {
      mark(p->fromUntrusted);
      mark(p->fromPrivate);
      mark(p->toOutbound);
    }
  auto shown = tasksShown(model);

  std::string out =
      "digraph authority {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
      "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (std::size_t t = 0; t < model.tasks.size(); ++t) {
    if (!shown[t]) continue;
    out += fmt::format("  subgraph cluster_{} {{\n    label=\"{}\";\n    style=rounded;\n", t,
                       escape(model.tasks[t].qualifiedName));
    for (auto [it, end] = boost::vertices(g); it != end; ++it) {
      const Node& n = g[*it];
      if (n.task != t) continue;
      std::string style;
      if (n.untrusted) style += ", style=filled, fillcolor=orange";
      if (n.kind == NodeKind::Secret) style += ", style=filled, fillcolor=khaki";
      if (n.outbound) style += ", color=red, penwidth=2";
      if (riskyNodes.count(*it)) style += ", fontcolor=red";
      out += fmt::format("    n{} [label=\"{}\", shape={}{}];\n", *it, escape(n.label), shape(n.kind), style);
    }
    out += "  }\n";
  }
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    Vertex from = boost::source(*it, g), to = boost::target(*it, g);
    if (!shown[g[from].task] || !shown[g[to].task]) continue;
    const Edge& e = g[*it];
    bool red = risky.count({from, to}) || e.kind == EdgeKind::Passes;
    out += fmt::format("  n{} -> n{} [label=\"{}\"{}];\n", from, to, kindName(e.kind),
                       red ? ", color=red, penwidth=2" : (e.carriesData ? "" : ", style=dashed"));
  }
  out += "}\n";
  return out;
}

}  // namespace sbx::classifier
