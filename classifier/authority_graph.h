// The authority graph (Boost.Graph) of a whole model: who can reach what. Nodes are tasks, tools,
// actions, inputs, paths, secrets, destinations and approvals; edges point the way data and
// authority flow, so "can untrusted text reach this secret and then leave?" is a reachability
// question. Edges that carry data are the ones the lethal combination follows: a tool's own
// token goes only into its tool (an authority edge, no data), while a read action's result
// returns into the task with the labels of the tool's system (classifier/data_flow.h). Every root and delegated task of
// the model is in one graph, so delegation chains across files are analysed together.
#pragma once
#include <optional>
#include <string>
#include <vector>

// Boost.Graph trips GCC's uninitialized-use analysis inside its own optional<> when inlined
// into sanitizer builds; the warning is about Boost's code, not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/graph/adjacency_list.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "model/model.h"

namespace sbx::classifier {

enum class NodeKind { Task, Tool, Action, Input, Path, Secret, Destination, Approval };
enum class EdgeKind {
  Feeds,
  Reads,
  Writes,
  Executes,
  Calls,
  Performs,
  GatedBy,
  UsesSecret,
  Connects,
  Delegates,
  Passes,
  Returns,
  InjectedInto  // a secret the proxy adds to the tool's requests: authority the sandbox never holds
};

struct Node {
  NodeKind kind;
  std::string label;  // "tool deploy", "input inbox (untrusted, confidential)"
  std::size_t task;   // the task that declares it
  Span span;
  bool untrusted = false;    // an untrusted Input, or a read Action on an untrusted system
  bool privateData = false;  // Input or read Action confidential/secret, or a Secret a task holds
  bool outbound = false;     // an open destination, the host network, or an unbounded send
  bool gated = false;        // an action behind an approval
};

struct Edge {
  EdgeKind kind;
  Span span;
  bool carriesData = true;  // false for a delegation that passes nothing and for approval gates
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Node, Edge>;
using Vertex = Graph::vertex_descriptor;

struct AuthorityGraph {
  Graph graph;
  std::vector<Vertex> taskNode;  // per Model::tasks index
};

AuthorityGraph buildAuthorityGraph(const model::Model& model);

std::string_view kindName(NodeKind kind);
std::string_view kindName(EdgeKind kind);

}  // namespace sbx::classifier
