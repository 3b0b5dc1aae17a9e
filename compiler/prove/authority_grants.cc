// The grants that are named rather than ranged: tools and their actions (an approval dropped
// counts), tokens and their scopes, Linux capabilities, the host network, delegations, and the
// request rules of actions (a concrete request of each new rule, judged by the proxy's own
// matcher against the old tool's rules).
#include <fmt/format.h>

#include <algorithm>

#include "plan/request_match.h"
#include "prove/authority_compare.h"

namespace sbx::prove {

namespace {

template <typename T, typename F>
const T* find(const std::vector<T>& list, F pred) {
  auto it = std::find_if(list.begin(), list.end(), pred);
  return it == list.end() ? nullptr : &*it;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The request every request the rule allows is like: its named segments and rest filled in.
inspect::RequestFacts instanceOf(const plan::RequestRule& rule) {
  std::string path;
  for (std::size_t i = 0; i < rule.path.size();) {
    if (rule.path[i] == '{') {
      path += "sbx-prove";
      i = rule.path.find('}', i) + 1;
    } else if (rule.path.compare(i, 2, "**") == 0) {
      i += 2;
    } else {
      path += rule.path[i++];
    }
  }
  std::string query;
  for (const auto& q : rule.query) query += (query.empty() ? "" : "&") + q;
  return {rule.method, rule.scheme, rule.host, rule.port, {path.empty() ? "/" : path, query}};
}

bool sameOrNarrower(const plan::RequestRule& narrow, const plan::RequestRule& wide) {
  if (narrow.method != wide.method || narrow.scheme != wide.scheme || narrow.host != wide.host ||
      narrow.port != wide.port || narrow.path != wide.path)
    return false;
  return std::all_of(wide.query.begin(), wide.query.end(), [&](const auto& q) { return contains(narrow.query, q); });
}

void compareRequests(const plan::Tool& n, const plan::Tool& o, Comparison& out) {
  bool oldInspects = std::any_of(o.actions.begin(), o.actions.end(), [](const auto& a) { return !a.requests.empty(); });
  if (!oldInspects) return;  // the old tool's requests are not inspected: no request rule narrows it
  for (const auto& action : n.actions)
    for (const auto& rule : action.requests) {
      bool covered = std::any_of(o.actions.begin(), o.actions.end(), [&](const auto& a) {
        return std::any_of(a.requests.begin(), a.requests.end(),
                           [&](const auto& r) { return sameOrNarrower(rule, r); });
      });
      if (covered) continue;
      auto request = instanceOf(rule);
      if (!inspect::matchRequest(o, request)) {
        out.counterexamples.push_back(
            {"request", fmt::format("{} {} by tool `{}`", request.method, inspect::urlOf(request), n.name),
             fmt::format("allowed by action `{}`: {}", action.name, inspect::ruleText(rule)),
             "refused (no request rule matches it)"});
        return;
      }
      out.undecided.push_back(
          fmt::format("requests: whether tool `{}`'s {} allows only what the old rules allow "
                      "(its pattern differs from theirs)",
                      n.name, inspect::ruleText(rule)));
    }
}

void add(Comparison& out, std::string kind, std::string what, std::string inNew, std::string inOld) {
  if (std::none_of(out.counterexamples.begin(), out.counterexamples.end(),
                   [&](const auto& c) { return c.kind == kind; }))
    out.counterexamples.push_back({std::move(kind), std::move(what), std::move(inNew), std::move(inOld)});
}

}  // namespace

void compareGrants(const plan::Plan& newer, const plan::Plan& older, Comparison& out) {
  const auto &nt = newer.task, &ot = older.task;
  if (nt.network == plan::NetworkMode::Host && ot.network != plan::NetworkMode::Host)
    add(out, "network", "the host network", "shared", "isolated");
  for (const auto& c : nt.capabilities)
    if (!find(ot.capabilities, [&](const auto& x) { return x.name == c.name; }))
      add(out, "capability", c.name, "granted", "not granted");
  for (const auto& tool : nt.tools) {
    const plan::Tool* old = find(ot.tools, [&](const auto& t) { return t.name == tool.name; });
    if (!old) {
      add(out, "tool", fmt::format("tool `{}`", tool.name), "declared", "absent");
      continue;
    }
    for (const auto& a : tool.actions) {
      const plan::Action* oa = find(old->actions, [&](const auto& x) { return x.name == a.name; });
      std::string what = fmt::format("action `{}.{}`", tool.name, a.name);
      if (!oa)
        add(out, "action", what, "declared", "absent");
      else if (oa->approval && !a.approval)
        add(out, "action", what + " without approval", "no approval", "needs approval");
    }
    compareRequests(tool, *old, out);
  }
  for (const auto& token : newer.tokens) {
    const plan::TokenScope* old =
        find(older.tokens, [&](const auto& t) { return t.secret == token.secret && t.tool == token.tool; });
    std::string who = token.tool.empty() ? "the task" : fmt::format("tool `{}`", token.tool);
    if (!old) {
      add(out, "token", fmt::format("secret `{}` held by {}", token.secret, who), "held", "not held");
      continue;
    }
    for (const auto& scope : token.scopes)
      if (!contains(old->scopes, scope))
        add(out, "token", fmt::format("scope `{}` of secret `{}` held by {}", scope, token.secret, who), "granted",
            "not granted");
  }
  for (const auto& d : nt.delegations) {
    const plan::Delegation* old = find(ot.delegations, [&](const auto& x) { return x.task == d.task; });
    if (!old) {
      add(out, "delegation", fmt::format("delegation to `{}`", d.task), "declared", "absent");
      continue;
    }
    for (const auto& p : d.passes)
      if (!contains(old->passes, p))
        add(out, "delegation", fmt::format("delegation to `{}` passing {}", d.task, p), "passes it", "does not");
    for (const auto& s : d.secrets)
      if (!contains(old->secrets, s))
        add(out, "delegation", fmt::format("delegation to `{}` passing secret `{}`", d.task, s), "passes it",
            "does not");
  }
}

}  // namespace sbx::prove
