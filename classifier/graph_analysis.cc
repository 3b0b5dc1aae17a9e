#include "classifier/graph_analysis.h"

#include <algorithm>
#include <deque>

#include <fmt/format.h>
#include <boost/graph/strong_components.hpp>

namespace sbx::classifier {

namespace {

using Pred = std::vector<std::optional<Vertex>>;

// Multi-source breadth-first search along edges that carry data; an approval-gated action is
// never entered. pred[v] is the vertex v was reached from (a source is its own predecessor).
template <bool Forward>
Pred reach(const Graph& g, const std::vector<Vertex>& sources) {
  Pred pred(boost::num_vertices(g));
  std::deque<Vertex> queue;
  for (Vertex s : sources) {
    if (g[s].gated || pred[s]) continue;
    pred[s] = s;
    queue.push_back(s);
  }
  auto visit = [&](Vertex from, Vertex to, const Edge& e) {
    if (!e.carriesData || g[to].gated || pred[to]) return;
    pred[to] = from;
    queue.push_back(to);
  };
  while (!queue.empty()) {
    Vertex v = queue.front();
    queue.pop_front();
    if constexpr (Forward) {
      for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) visit(v, boost::target(*it, g), g[*it]);
    } else {
      for (auto [it, end] = boost::in_edges(v, g); it != end; ++it) visit(v, boost::source(*it, g), g[*it]);
    }
  }
  return pred;
}

std::vector<Vertex> verticesWhere(const Graph& g, bool Node::*flag) {
  std::vector<Vertex> out;
  for (auto [it, end] = boost::vertices(g); it != end; ++it)
    if (g[*it].*flag) out.push_back(*it);
  return out;
}

}  // namespace

FlowAnalysis::FlowAnalysis(const AuthorityGraph& graph)
    : g_(graph),
      fromUntrusted_(reach<true>(graph.graph, verticesWhere(graph.graph, &Node::untrusted))),
      fromPrivate_(reach<true>(graph.graph, verticesWhere(graph.graph, &Node::privateData))),
      toOutbound_(reach<false>(graph.graph, verticesWhere(graph.graph, &Node::outbound))) {}

GraphPath FlowAnalysis::walkBack(const Pred& pred, Vertex v) const {
  GraphPath path{v};
  while (pred[v] && *pred[v] != v) {
    v = *pred[v];
    path.push_back(v);
  }
  return path;
}

bool FlowAnalysis::untrustedReaches(std::size_t task) const {
  return fromUntrusted_[g_.taskNode.at(task)].has_value();
}

GraphPath FlowAnalysis::untrustedPathTo(std::size_t task) const {
  if (!untrustedReaches(task)) return {};
  auto path = walkBack(fromUntrusted_, g_.taskNode[task]);
  std::reverse(path.begin(), path.end());
  return path;
}

std::optional<LethalPath> FlowAnalysis::lethalPath(std::size_t task) const {
  const Graph& g = g_.graph;
  for (auto [it, end] = boost::vertices(g); it != end; ++it) {
    Vertex v = *it;
    const Node& n = g[v];
    if (n.task != task || (n.kind != NodeKind::Task && n.kind != NodeKind::Tool)) continue;
    if (!fromUntrusted_[v] || !fromPrivate_[v] || !toOutbound_[v]) continue;
    LethalPath p{v, walkBack(fromUntrusted_, v), walkBack(fromPrivate_, v), walkBack(toOutbound_, v)};
    std::reverse(p.fromUntrusted.begin(), p.fromUntrusted.end());
    std::reverse(p.fromPrivate.begin(), p.fromPrivate.end());
    return p;
  }
  return std::nullopt;
}

DelegationChains analyseDelegations(const model::Model& model, const std::vector<int>& ownTiers) {
  // The delegation subgraph: tasks only, one edge per `delegate`.
  using TaskGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  std::size_t n = model.tasks.size();
  TaskGraph tasks(n);
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& d : model.tasks[i].delegations) boost::add_edge(i, d.task, tasks);

  DelegationChains out;
  std::vector<int> component(n);
  std::size_t count = n ? boost::strong_components(tasks, component.data()) : 0;
  std::vector<std::vector<std::size_t>> members(count);
  for (std::size_t i = 0; i < n; ++i) members[component[i]].push_back(i);
  for (std::size_t c = 0; c < count; ++c) {
    bool selfLoop = members[c].size() == 1 && boost::edge(members[c][0], members[c][0], tasks).second;
    if (members[c].size() > 1 || selfLoop) out.cycles.push_back(members[c]);
  }
  std::sort(out.cycles.begin(), out.cycles.end());

  // Highest tier along each chain: a fixed point, which also settles cycles (n rounds at most).
  out.tier = ownTiers;
  out.via.assign(n, std::nullopt);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < n; ++i)
      for (const auto& d : model.tasks[i].delegations)
        if (out.tier[d.task] > out.tier[i]) {
          out.tier[i] = out.tier[d.task];
          out.via[i] = d.task;
          changed = true;
        }
  }
  return out;
}

std::string describePath(const AuthorityGraph& graph, const GraphPath& path) {
  std::string out;
  for (Vertex v : path) {
    if (!out.empty()) out += " -> ";
    out += graph.graph[v].label;
  }
  return out;
}

}  // namespace sbx::classifier
