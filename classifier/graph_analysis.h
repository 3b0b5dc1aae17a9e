// Analyses on the authority graph: where untrusted text can flow, the lethal combination
// (untrusted input + private data + an outbound channel meeting in one place), and delegation
// chains (cycles, and the highest tier along each chain).
#pragma once
#include <optional>
#include <vector>

#include "classifier/authority_graph.h"

namespace sbx::classifier {

// A path in the graph, as the vertices it visits in order.
using GraphPath = std::vector<Vertex>;

// Untrusted input, private data and an outbound channel meet at one task or tool (`meeting`).
struct LethalPath {
  Vertex meeting;
  GraphPath fromUntrusted;  // an untrusted input ... meeting
  GraphPath fromPrivate;    // private data ... meeting
  GraphPath toOutbound;     // meeting ... an outbound channel
};

class FlowAnalysis {
 public:
  explicit FlowAnalysis(const AuthorityGraph& graph);

  // Whether untrusted input reaches the task (directly or through delegations that pass data).
  bool untrustedReaches(std::size_t task) const;
  GraphPath untrustedPathTo(std::size_t task) const;
  // The first lethal path whose meeting point belongs to `task`, if any. Approval-gated actions
  // break paths; exact destinations and sends to bounded sinks are declared sinks, not outbound
  // channels; a tool's own token is not private data the task holds (authority_graph.h).
  std::optional<LethalPath> lethalPath(std::size_t task) const;

 private:
  const AuthorityGraph& g_;
  std::vector<std::optional<Vertex>> fromUntrusted_, fromPrivate_, toOutbound_;  // BFS predecessors
  GraphPath walkBack(const std::vector<std::optional<Vertex>>& pred, Vertex v) const;
};

struct DelegationChains {
  std::vector<std::vector<std::size_t>> cycles;  // each a set of task indices, sorted
  std::vector<int> tier;                         // per task: the highest own tier along its chain
  std::vector<std::optional<std::size_t>> via;   // per task: the delegate it inherits from, if higher
};

DelegationChains analyseDelegations(const model::Model& model, const std::vector<int>& ownTiers);

std::string describePath(const AuthorityGraph& graph, const GraphPath& path);

}  // namespace sbx::classifier
