// `sbxc graph`: the authority graph as Graphviz DOT, with the risky paths highlighted.
#pragma once
#include <string>

#include "classifier/authority_graph.h"
#include "classifier/classify.h"

namespace sbx::classifier {

// Root tasks and every task they delegate to, one cluster per task. Red: lethal-combination paths
// and credentials passed to another agent; orange: untrusted inputs; bold red border: open
// outbound channels (wildcard destinations, ungated send actions, the host network).
std::string toDot(const model::Model& model, const AuthorityGraph& graph);

}  // namespace sbx::classifier
