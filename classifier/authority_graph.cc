#include "classifier/authority_graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "classifier/data_flow.h"
#include "classifier/facts.h"
#include "frontend/values.h"

namespace sbx::classifier {

namespace {

class Builder {
 public:
  explicit Builder(const model::Model& model) : model_(model) {}

  AuthorityGraph build() {
    for (std::size_t i = 0; i < model_.tasks.size(); ++i) {
      const auto& t = model_.tasks[i];
      out_.taskNode.push_back(add({NodeKind::Task, "task " + t.qualifiedName, i, t.span}));
    }
    for (std::size_t i = 0; i < model_.tasks.size(); ++i) addTask(i);
    return std::move(out_);
  }

 private:
  Vertex add(Node node) { return boost::add_vertex(std::move(node), out_.graph); }
  void link(Vertex from, Vertex to, EdgeKind kind, Span span, bool carriesData = true) {
    boost::add_edge(from, to, Edge{kind, span, carriesData}, out_.graph);
  }

  void addTask(std::size_t index) {
    const model::ResolvedTask& t = model_.tasks[index];
    Vertex task = out_.taskNode[index];
    for (const auto& in : t.inputs) {
      Node n{NodeKind::Input,
             fmt::format("input {} ({}, {})", in.name, model::nameOf(in.trust), model::nameOf(in.sensitivity)), index,
             in.origin.span};
      n.untrusted = in.trust == model::Trust::Untrusted;
      n.privateData = in.sensitivity >= model::Sensitivity::Confidential;
      link(add(std::move(n)), task, EdgeKind::Feeds, in.origin.span);
    }
    for (const auto& p : t.paths) {
      Node pathNode{NodeKind::Path, "path " + p.path, index, p.origin.span};
      pathNode.privateData = credentialLocationCovered(p.path).has_value();  // host credentials are secret data
      Vertex path = add(std::move(pathNode));
      switch (p.access) {
        case model::Access::Read:
          link(path, task, EdgeKind::Reads, p.origin.span);
          break;
        case model::Access::Write:
          link(task, path, EdgeKind::Writes, p.origin.span);
          break;
        case model::Access::Exec:
          link(path, task, EdgeKind::Executes, p.origin.span);
          break;
      }
    }
    if (t.network && t.network->value == model::NetworkMode::Host) {
      Node n{NodeKind::Destination, "host network", index, t.network->origin.span};
      n.outbound = true;
      link(task, add(std::move(n)), EdgeKind::Connects, t.network->origin.span);
    }
    for (const auto& d : t.egress) link(task, destination(d, index), EdgeKind::Connects, d.origin.span);

    // A secret is private data the task can leak only when the task's own processes hold it
    // (or it is passed to another task); a tool's token flows only into that tool.
    std::vector<std::pair<std::string, Vertex>> secretNodes;
    for (const auto& s : t.secrets) {
      bool toolOnly = !toolsUsing(t, s.name).empty();
      Node n{NodeKind::Secret, "secret " + s.name, index, s.origin.span};
      n.privateData = !toolOnly || passedOn(t, s.name);
      Vertex secret = add(std::move(n));
      secretNodes.emplace_back(s.name, secret);
      // Exposed to the task itself; a secret given to nobody is not minted, so reaches no one.
      if (s.exposure && !toolOnly) link(secret, task, EdgeKind::UsesSecret, s.origin.span);
    }
    for (const auto& tool : t.tools) {
      Vertex tv = add({NodeKind::Tool, "tool " + tool.name, index, tool.origin.span});
      link(task, tv, EdgeKind::Calls, tool.origin.span);
      for (const auto& a : tool.actions) {
        Vertex av = add(actionNode(t, tool, a, index));
        link(tv, av, EdgeKind::Performs, a.origin.span);
        if (a.effect == model::Effect::Read) link(av, task, EdgeKind::Returns, a.origin.span);
        if (a.approval) {
          std::string who = approvalLabel(tool, a);
          link(av, add({NodeKind::Approval, who, index, a.origin.span}), EdgeKind::GatedBy, a.origin.span, false);
        }
      }
      for (const auto& d : tool.egress) link(tv, destination(d, index), EdgeKind::Connects, d.origin.span);
      // Authority, not data: the tool presents its token to its own system (or the proxy does).
      for (const auto& [name, secret] : secretNodes)
        for (const auto* user : toolsUsing(t, name))
          if (user == &tool)
            link(secret, tv, injectedInto(t, name, tool) ? EdgeKind::InjectedInto : EdgeKind::UsesSecret,
                 tool.origin.span, false);
    }
    for (const auto& d : t.delegations) {
      Vertex target = out_.taskNode[d.task];
      link(task, target, EdgeKind::Delegates, d.origin.span, !d.passes.empty() || !d.secrets.empty());
      // `passing secret NAME` is recorded as credentials plus the name: then only the names pass.
      bool allCredentials = d.secrets.empty() &&
                            std::find(d.passes.begin(), d.passes.end(), model::PassKind::Credentials) != d.passes.end();
      for (const auto& [name, secret] : secretNodes)
        if (allCredentials || std::find(d.secrets.begin(), d.secrets.end(), name) != d.secrets.end())
          link(secret, target, EdgeKind::Passes, d.origin.span);
    }
  }

  // An action; a read brings back data labelled as its system's, a send without an approval gate
  // or bounded sinks is an outbound channel.
  static Node actionNode(const model::ResolvedTask& t, const model::Tool& tool, const model::Action& a,
                         std::size_t index) {
    Node n{NodeKind::Action, fmt::format("action {} ({})", a.name, model::nameOf(a.effect)), index, a.origin.span};
    if (a.effect == model::Effect::Read) {
      ReadLabels labels = readLabels(t, tool);
      n.untrusted = labels.trust == model::Trust::Untrusted;
      n.privateData = labels.sensitivity >= model::Sensitivity::Confidential;
      std::string from = tool.system.empty() ? "tool " + tool.name : tool.system;
      n.label = fmt::format("action {} (read from {}: {}, {})", a.name, from, model::nameOf(labels.trust),
                            model::nameOf(labels.sensitivity));
    }
    if (a.effect == model::Effect::Send && !a.sinks.empty())
      n.label = fmt::format("action {} (send to {})", a.name, fmt::join(a.sinks, ", "));
    std::vector<std::string> requests;
    for (const auto& r : a.requests) requests.push_back(r.method + " " + r.url());
    if (!requests.empty()) n.label += fmt::format(" [{}]", fmt::join(requests, ", "));
    n.outbound = isOpenSend(tool, a);
    n.gated = approvalEnforced(tool, a);  // a gate breaks every path through the action
    return n;
  }

  // "approval by GROUP", with how long sbx-run holds a request, or why nothing holds it.
  static std::string approvalLabel(const model::Tool& tool, const model::Action& a) {
    std::string who = a.approver.empty() ? "approval" : "approval by " + a.approver;
    if (!a.requests.empty() && a.approvalTimeoutMs)
      return fmt::format("{} (each request held up to {})", who, frontend::formatDuration(*a.approvalTimeoutMs));
    if (!approvalEnforced(tool, a)) return who + " (unenforced: the action names no request)";
    return who;
  }

  static bool injectedInto(const model::ResolvedTask& t, const std::string& secret, const model::Tool& tool) {
    for (const auto& s : t.secrets)
      if (s.name == secret && s.injection && s.injection->tool == tool.name) return true;
    return false;
  }

  static bool passedOn(const model::ResolvedTask& t, const std::string& secret) {
    for (const auto& d : t.delegations) {
      bool all = d.secrets.empty() &&
                 std::find(d.passes.begin(), d.passes.end(), model::PassKind::Credentials) != d.passes.end();
      if (all || std::find(d.secrets.begin(), d.secrets.end(), secret) != d.secrets.end()) return true;
    }
    return false;
  }

  Vertex destination(const model::Destination& d, std::size_t task) {
    Node n{NodeKind::Destination, "connect " + d.text, task, d.origin.span};
    n.outbound = isOpenDestination(d);
    return add(std::move(n));
  }

  const model::Model& model_;
  AuthorityGraph out_;
};

}  // namespace

AuthorityGraph buildAuthorityGraph(const model::Model& model) {
  return Builder(model).build();
}

std::string_view kindName(NodeKind kind) {
  static constexpr std::string_view names[] = {"task", "tool",   "action",      "input",
                                               "path", "secret", "destination", "approval"};
  return names[static_cast<int>(kind)];
}

std::string_view kindName(EdgeKind kind) {
  static constexpr std::string_view names[] = {"feeds",    "reads",    "writes",       "executes", "calls",
                                               "performs", "gated-by", "uses-secret",  "connects", "delegates",
                                               "passes",   "returns",  "injected-into"};
  return names[static_cast<int>(kind)];
}

}  // namespace sbx::classifier
