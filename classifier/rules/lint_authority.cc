// Lint of tools and grants: bundled-authority (SBX1206), missing-approval (SBX1213),
// unused-grant (SBX1214), undeclared-environment (SBX1226).
#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

namespace {

// The kinds of authority TIERS.md says must not be bundled: read, write, deploy, approve.
std::string_view authorityKind(model::Effect e) {
  switch (e) {
    case model::Effect::Read:
      return "read";
    case model::Effect::Write:
    case model::Effect::Delete:
    case model::Effect::Send:
      return "write";
    case model::Effect::Deploy:
      return "deploy";
    case model::Effect::Approve:
      return "approve";
  }
  return "write";
}

// The kinds of authority a token's scope words grant: "tickets:read" reads, "tickets:write" writes,
// "repo" (GitHub's classic scope: the whole repository) both; "*", ":*" and admin scopes every kind.
void scopeKinds(const std::string& scope, std::set<std::string_view>& kinds) {
  if (scope == "*" || scope.ends_with(":*") || scope.find("admin") != std::string::npos) {
    kinds.insert("every");
    return;
  }
  static constexpr std::pair<std::string_view, std::string_view> kWords[] = {
      {"read", "read"},    {"readonly", "read"}, {"get", "read"},        {"list", "read"},
      {"view", "read"},    {"write", "write"},   {"create", "write"},    {"update", "write"},
      {"delete", "write"}, {"edit", "write"},    {"push", "write"},      {"manage", "write"},
      {"send", "write"},   {"deploy", "deploy"}, {"approve", "approve"}, {"repo", "read+write"}};
  std::size_t begin = 0;
  while (begin <= scope.size()) {
    std::size_t end = scope.find_first_of(":./_-", begin);
    if (end == std::string::npos) end = scope.size();
    std::string word = scope.substr(begin, end - begin);
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char ch) { return std::tolower(ch); });
    for (const auto& [w, kind] : kWords)
      if (word == w) {
        if (kind == "read+write") {
          // "repo" alone is the whole repository; "repo:status" or "public_repo" are narrower.
          if (scope == "repo") kinds.insert({"read", "write"});
        } else {
          kinds.insert(kind);
        }
      }
    begin = end + 1;
  }
}

std::string joined(const std::set<std::string_view>& kinds) {
  std::string out;
  for (auto k : kinds) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

// A destination that makes `d` redundant: same protocol, covering host and ports.
bool covers(const model::Destination& wide, const model::Destination& d) {
  using K = model::Destination::Kind;
  if (&wide == &d || wide.protocol != d.protocol || wide.portLow > d.portLow || wide.portHigh < d.portHigh)
    return false;
  if (!wide.tool.empty() && wide.tool != d.tool) return false;  // a tool's grant covers only that tool
  if (wide.kind == K::Any) return true;
  if (wide.kind == K::Host && d.kind == K::Host) return wide.host == d.host;
  if (wide.kind == K::Wildcard && (d.kind == K::Host || d.kind == K::Wildcard))
    return d.host.size() > wide.host.size() && d.host.ends_with("." + wide.host);
  return wide.kind == d.kind && wide.address == d.address && wide.prefix == d.prefix;
}

// Two declarations of one source are one credential held twice: whatever either is given, the
// one token behind them grants it all (bundled-authority: one token, several holders).
void sameSource(const model::ResolvedTask& t, FindingSink& sink) {
  for (std::size_t i = 0; i < t.secrets.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      const auto &s = t.secrets[i], &first = t.secrets[j];
      if (s.source.empty() || s.source != first.source || s.hostFile != first.hostFile) continue;
      sink.add(RuleId::BundledAuthority, s.origin.span,
               fmt::format("secrets {} and {} are one credential ({}) held twice", ticked(first.name), ticked(s.name),
                           s.source))
          .label(first.origin.span, "the same source declared here");
      break;
    }
}

}  // namespace

void lintAuthority(const LintContext& c, FindingSink& sink) {
  const auto& t = c.task;
  for (const auto& tool : t.tools) {
    std::set<std::string_view> kinds;
    for (const auto& a : tool.actions) kinds.insert(authorityKind(a.effect));
    if (kinds.size() > 1)
      sink.add(RuleId::BundledAuthority, tool.origin.span,
               fmt::format("tool {} bundles {} authority", ticked(tool.name), joined(kinds)));
    if (!tool.system.empty() && !tool.environment)
      sink.add(RuleId::UndeclaredEnvironment, tool.origin.span,
               fmt::format("tool {} acts on {} without saying which environment; it counts as production",
                           ticked(tool.name), ticked(tool.system)));
    if (tool.actions.empty())
      sink.add(RuleId::UnusedGrant, tool.origin.span,
               fmt::format("tool {} declares no action, so nothing it is granted is used", ticked(tool.name)));
  }
  for (const auto& s : t.secrets) {
    std::set<std::string_view> kinds;
    for (const auto* tool : toolsUsing(t, s.name))
      for (const auto& a : tool->actions) kinds.insert(authorityKind(a.effect));
    for (const auto& scope : s.scopes) scopeKinds(scope, kinds);
    if (kinds.size() > 1 || kinds.count("every"))
      sink.add(RuleId::BundledAuthority, s.origin.span,
               fmt::format("secret {} grants {} authority", ticked(s.name), joined(kinds)));
    if (!model::secretGiven(t, s))
      sink.add(RuleId::UnusedGrant, s.origin.span,
               fmt::format("secret {} is exposed to nothing and used by no tool, so it is not minted", ticked(s.name)))
          .help(
              "give it to the tool that needs it (uses secret), expose it to the task (expose file / expose "
              "env), or delete it");
  }
  sameSource(t, sink);
  if (c.report.tier >= rule(RuleId::MissingApproval).tier)
    for (const auto& tool : t.tools)
      for (const auto& a : tool.actions)
        if (a.reversibility == model::Reversibility::Irreversible && !approvalEnforced(tool, a))
          sink.add(
              RuleId::MissingApproval, a.origin.span,
              fmt::format("irreversible action {} of tool {} runs without {}", ticked(a.name), ticked(tool.name),
                          a.approval ? "an enforced approval (it names no request, so nothing holds it)" : "approval"));

  for (const auto& p : t.paths)
    for (const auto& wide : t.paths)
      // Grants merged from two different profiles are each right on their own; not reported.
      if (&wide != &p && wide.access == p.access && wide.path != p.path && pathCovers(wide.path, p.path) &&
          (p.origin.via.empty() || p.origin.via == wide.origin.via)) {
        sink.add(RuleId::UnusedGrant, p.origin.span,
                 fmt::format("{} {} is already granted by {} {}", model::nameOf(p.access), ticked(p.path),
                             model::nameOf(wide.access), ticked(wide.path)))
            .label(wide.origin.span, "covered by this grant");
        break;
      }
  auto destinations = model::allDestinations(t);
  for (std::size_t i = 0; i < destinations.size(); ++i)
    for (std::size_t j = 0; j < destinations.size(); ++j) {
      const auto *d = destinations[i], *wide = destinations[j];
      bool same = covers(*d, *wide);  // equal grants: only the later one is reported
      if (covers(*wide, *d) && (!same || j < i)) {
        sink.add(RuleId::UnusedGrant, d->origin.span,
                 fmt::format("destination {} is already allowed by {}", d->text, wide->text))
            .label(wide->origin.span, "covered by this destination");
        break;
      }
    }
}

}  // namespace sbx::classifier
