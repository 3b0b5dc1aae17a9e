// `connect` and `request` assertions: judged by the launcher's own allowlist and request rules
// (plan/egress_rules.h, plan/request_match.h) on the compiled plan, as the proxy judges them.
#include <fmt/format.h>

#include "cli/policy_test_eval.h"
#include "plan/egress_rules.h"
#include "plan/request_match.h"

namespace sbx::cli {

namespace {

// The plan's tool the assertion names; null after a diagnostic when there is none. An empty
// name is the task's own processes (no tool), which is not an error.
const plan::Tool* toolOf(const Assertion& a, const TaskUnderTest& t, DiagnosticSink& diags, bool& ok) {
  ok = true;
  if (a.tool.empty()) return nullptr;
  std::vector<std::string> names;
  for (const auto& tool : t.compiled.plan.task.tools) {
    if (tool.name == a.tool) return &tool;
    names.push_back(tool.name);
  }
  ok = false;
  auto& d = diags.report(Code::InvalidPolicyTest, a.subjectSpan,
                         fmt::format("task `{}` has no tool `{}`", t.compiled.plan.task.name, a.tool));
  if (auto m = closestMatch(a.tool, names))
    d.help(fmt::format("did you mean `{}`?", *m));
  else
    d.help(names.empty() ? "the task declares no tool; drop `tool NAME`" : "name one of the task's tools");
  return nullptr;
}

// Whether the proxy lets the tool (or the task) open a connection to host:port; `why` says by
// which destination, or why not.
bool connectionAllowed(const TaskUnderTest& t, const std::string& host, std::uint16_t port, const std::string& tool,
                       std::string& why) {
  const plan::Plan& plan = t.compiled.plan;
  if (plan.task.network == plan::NetworkMode::Host) {
    why = "network host: the task's connections are not filtered";
    return true;
  }
  auto rules = run::EgressRules::fromPlan(plan.egress, plan.task.tools, "tcp");
  const run::EgressRule* byName = rules.matchName(host, port, tool);
  if (auto address = run::parseAddressLiteral(host)) {
    if (auto refusal = rules.refuseAddress(*address, port, byName, tool)) {
      why = *refusal;
      return false;
    }
  } else if (!byName) {
    why = "no destination allows it";
    return false;
  }
  why = byName ? fmt::format("by `{}`", byName->destination) : "by an address rule";
  return true;
}

}  // namespace

std::optional<Outcome> judgeConnect(const Assertion& a, const TaskUnderTest& t, DiagnosticSink& diags) {
  bool ok = true;
  toolOf(a, t, diags, ok);
  if (!ok) return std::nullopt;
  std::string why;
  bool allowed = connectionAllowed(t, a.host, a.port, a.tool, why);
  std::string what = fmt::format("connect {}:{}{}", a.host, a.port, a.tool.empty() ? "" : " tool " + a.tool);
  return Outcome{allowed == (a.verdict == Verdict::Allowed), fmt::format("{} {}", what, verdictName(a.verdict)),
                 fmt::format("{} {} ({})", what, allowed ? "allowed" : "refused", why)};
}

std::optional<Outcome> judgeRequest(const Assertion& a, const TaskUnderTest& t, DiagnosticSink& diags) {
  bool ok = true;
  const plan::Tool* tool = toolOf(a, t, diags, ok);
  if (!ok) return std::nullopt;
  inspect::RequestFacts facts;
  facts.method = a.method;
  std::string_view url = a.url;
  for (const char* scheme : {"https", "http"})
    if (url.starts_with(std::string(scheme) + "://")) facts.scheme = scheme;
  std::size_t hostStart = facts.scheme.size() + 3, pathStart = url.find('/', hostStart);
  std::string authority(url.substr(hostStart, pathStart == std::string_view::npos ? url.npos : pathStart - hostStart));
  std::size_t colon = authority.rfind(':');
  bool bracketed = authority.starts_with("[");
  facts.host = colon != std::string::npos && (!bracketed || authority[colon - 1] == ']') ? authority.substr(0, colon)
                                                                                         : authority;
  int port = facts.scheme == "https" ? 443 : 80;
  if (facts.host != authority) port = std::atoi(authority.c_str() + colon + 1);
  if (bracketed && facts.host.size() > 2) facts.host = facts.host.substr(1, facts.host.size() - 2);
  for (auto& c : facts.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string why;
  if (facts.scheme.empty() || facts.host.empty() || port <= 0 || port > 65535 ||
      !inspect::normaliseTarget(pathStart == std::string_view::npos ? "/" : url.substr(pathStart), why)) {
    diags.report(Code::InvalidPolicyTest, a.urlSpan, fmt::format("`{}` is not a URL sbx-inspect would judge", a.url))
        .help("write http(s)://HOST[:PORT]/PATH[?QUERY]" + (why.empty() ? std::string() : "; the path: " + why));
    return std::nullopt;
  }
  facts.port = static_cast<std::uint16_t>(port);
  facts.target = *inspect::normaliseTarget(pathStart == std::string_view::npos ? "/" : url.substr(pathStart), why);

  std::string what = fmt::format("request {} {} tool {}", a.method, a.url, a.tool);
  Verdict got = Verdict::Refused;
  if (!connectionAllowed(t, facts.host, facts.port, a.tool, why)) {
    why = "the connection is refused: " + why;
  } else if (!std::any_of(tool->actions.begin(), tool->actions.end(),
                          [](const plan::Action& action) { return !action.requests.empty(); })) {
    got = Verdict::Allowed;
    why = "the tool has no request rules: the connection is not inspected";
  } else if (auto match = inspect::matchRequest(*tool, facts)) {
    got = match->action->approval ? Verdict::Approval : Verdict::Allowed;
    why = fmt::format("action `{}`, {}", match->action->name, inspect::ruleText(*match->rule));
  } else {
    why = "no request rule of the tool matches";
  }
  return Outcome{got == a.verdict, fmt::format("{} {}", what, verdictName(a.verdict)),
                 fmt::format("{} {} ({})", what, verdictName(got), why)};
}

}  // namespace sbx::cli
