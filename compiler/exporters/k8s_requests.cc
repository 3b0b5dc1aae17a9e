#include "exporters/k8s_requests.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "exporters/networks.h"

namespace sbx::exporters {

namespace {

using Json = nlohmann::ordered_json;

// A host:port that request rules name, and the HTTP rules Cilium allows there.
struct InspectedPort {
  std::string scheme, host;
  std::uint16_t port = 0;
  Json http = Json::array();
};

std::string regexEscaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\.+*?()[]{}|^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A literal address's network (/32 or /128); nullopt for a host name.
std::optional<Network> addressOf(const std::string& host) {
  bool v6 = host.find(':') != std::string::npos;
  return Network::parse(host, v6 ? 128 : 32);
}

// The Host header's value: the host (an IPv6 literal in brackets), with or without the port.
std::string hostRegex(const plan::RequestRule& rule) {
  std::string host = rule.host.find(':') != std::string::npos ? "[" + rule.host + "]" : rule.host;
  return fmt::format("{}(:{})?", regexEscaped(host), rule.port);
}

bool sameDestination(const plan::Destination& d, const plan::RequestRule& rule) {
  if (d.protocol != "tcp" || d.portLow != rule.port || d.portHigh != rule.port) return false;
  if (d.kind == plan::DestinationKind::Host) return d.host == rule.host;
  if (d.kind != plan::DestinationKind::Ip) return false;
  auto ruleAddress = addressOf(rule.host);
  auto address = Network::parse(d.address, d.prefix);
  return ruleAddress && address && ruleAddress->unmapped() == address->unmapped();
}

// Whether `d`, not itself a rule's host:port, also allows `p` at L4.
bool overlaps(const plan::Destination& d, const InspectedPort& p) {
  if (d.protocol != "tcp" || p.port < d.portLow || p.port > d.portHigh) return false;
  if (d.kind == plan::DestinationKind::Any) return true;
  if (d.kind == plan::DestinationKind::Host) return d.host == p.host;
  if (d.kind == plan::DestinationKind::Wildcard) return p.host.ends_with("." + d.host);
  auto address = addressOf(p.host);
  if (!address) return false;
  auto networks = networksOf(d);
  return std::any_of(networks.begin(), networks.end(),
                     [&](const Network& n) { return n.contains(address->unmapped().address()); });
}

// A rule's path pattern as the regex of the path part: literal segments escaped, "{name}" one
// non-empty segment, a trailing "**" any rest of the path or none.
std::string ciliumPathRegex(const std::string& pattern) {
  std::string out;
  std::size_t start = 1;  // after the leading "/"
  while (true) {
    auto slash = pattern.find('/', start);
    std::string segment = pattern.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment == "**" && slash == std::string::npos) {
      out += "(/[^?]*)?";  // the rest of the path, or none ("/a/**" matches "/a" too)
      break;
    }
    out += '/';
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}')
      out += "[^/?]+";
    else
      out += regexEscaped(segment);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

// Query constraints Cilium's regex can hold: at most three (each order is spelled out), of
// unreserved characters only (RFC 3986 2.3), which a client sends as they are.
constexpr std::size_t kMaxQueryConstraints = 3;

bool expressibleQuery(const std::vector<std::string>& query) {
  if (query.size() > kMaxQueryConstraints) return false;
  for (const auto& q : query)
    for (char c : q)
      if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("-._~=").find(c) == std::string_view::npos)
        return false;
  return true;
}

// One constraint as a query parameter: "name" present (with or without a value), or "name=value".
std::string parameterRegex(const std::string& constraint) {
  if (constraint.find('=') == std::string::npos) return regexEscaped(constraint) + "(=[^&]*)?";
  return regexEscaped(constraint);
}

// The request target's regex: the path, then any query, or a query holding every constraint in
// any order (other parameters around them).
std::string targetRegex(const plan::RequestRule& rule) {
  std::string path = ciliumPathRegex(rule.path);
  if (rule.query.empty() || !expressibleQuery(rule.query)) return path + "(\\?.*)?";
  std::vector<std::string> order = rule.query;
  std::sort(order.begin(), order.end());
  std::vector<std::string> alternatives;
  do {
    std::string one = "(.*&)?";
    for (std::size_t i = 0; i < order.size(); ++i) one += (i ? "&(.*&)?" : "") + parameterRegex(order[i]);
    alternatives.push_back(one + "(&.*)?");
  } while (std::next_permutation(order.begin(), order.end()));
  return fmt::format("{}\\?({})", path, fmt::join(alternatives, "|"));
}

std::vector<InspectedPort> inspectedPorts(const plan::Plan& plan) {
  std::vector<InspectedPort> ports;
  for (const auto& tool : plan.task.tools)
    for (const auto& action : tool.actions) {
      if (action.approval) continue;  // left out: Cilium refuses what it cannot hold for approval
      for (const auto& rule : action.requests) {
        auto it = std::find_if(ports.begin(), ports.end(), [&](const InspectedPort& p) {
          return p.scheme == rule.scheme && p.host == rule.host && p.port == rule.port;
        });
        if (it == ports.end()) it = ports.insert(ports.end(), InspectedPort{rule.scheme, rule.host, rule.port});
        Json http{{"method", rule.method}, {"path", targetRegex(rule)}, {"host", hostRegex(rule)}};
        if (std::find(it->http.begin(), it->http.end(), http) == it->http.end()) it->http.push_back(http);
      }
    }
  return ports;
}

void addLosses(const plan::Plan& plan, const std::vector<InspectedPort>& ports, std::vector<Loss>& losses) {
  for (const auto& tool : plan.task.tools) {
    bool any = false;
    for (const auto& action : tool.actions) {
      if (action.requests.empty()) continue;
      any = true;
      if (action.approval)
        losses.push_back(
            lost(Control::RequestApproval,
                 fmt::format("the approval of each request of action `{}` of tool `{}`", action.name, tool.name),
                 "Cilium cannot hold a request for a person: the action's requests are left out of the L7 rules, so "
                 "Cilium refuses them (403), as sbx-run does when nobody approves (run the task under sbx-run to "
                 "approve them)"));
      for (const auto& rule : action.requests) {
        if (rule.query.empty() || action.approval) continue;
        std::vector<std::string> quoted;
        for (const auto& q : rule.query) quoted.push_back(fmt::format("\"{}\"", q));
        losses.push_back(lost(
            Control::RequestRules,
            fmt::format("the query constraints of action `{}` of tool `{}` (query {})", action.name, tool.name,
                        fmt::join(quoted, ", ")),
            expressibleQuery(rule.query)
                ? "Cilium matches them in the query as the client wrote it: a parameter written with escapes is "
                  "refused, and one repeated with another value passes (sbx-run refuses it)"
                : "Cilium's regex holds at most three constraints of unreserved characters: the L7 rule allows any "
                  "query"));
      }
    }
    if (any)
      losses.push_back(lost(Control::RequestRules,
                            fmt::format("the request rules of tool `{}` for it alone", tool.name),
                            "Cilium's L7 rules select pods, not processes: every process of the pod may send the "
                            "requests of the tool's actions"));
  }
  for (const auto& d : plan.egress) {
    if (std::any_of(ports.begin(), ports.end(),
                    [&](const InspectedPort& p) { return !coversDestination(plan, d) && overlaps(d, p); }))
      losses.push_back(lost(Control::RequestRules, fmt::format("the request rules behind destination `{}`", d.text),
                            "it also allows a port that request rules name, at L4, and Cilium then lets every request "
                            "through there: declare the rules' host:port as a destination of its own"));
  }
  if (!ports.empty())
    losses.push_back(lost(Control::RequestRules, "sbx-run's reading of each request",
                          "Cilium's Envoy parses the requests: a path written with other escapes than the rule's is "
                          "refused, and sbx-run's own refusals (encoded slashes, dot segments, smuggling, upgrades, "
                          "a Host other than the connection's) are left to Envoy's checks"));
}

}  // namespace

bool hasRequestRules(const plan::Plan& plan) {
  for (const auto& tool : plan.task.tools)
    for (const auto& action : tool.actions)
      if (!action.requests.empty()) return true;
  return false;
}

bool coversDestination(const plan::Plan& plan, const plan::Destination& destination) {
  for (const auto& tool : plan.task.tools)
    for (const auto& action : tool.actions)
      for (const auto& rule : action.requests)
        if (sameDestination(destination, rule)) return true;
  return false;
}

std::string interceptSecretName(const std::string& name) {
  return name + "-tls-intercept";
}

std::string upstreamSecretName(const std::string& name) {
  return name + "-tls-upstream";
}

// With request rules over https, what Cilium needs to read them (k8s_requests.h).
std::string k8sInterceptionSteps(const ExportInput& input, const std::string& name) {
  std::vector<std::string> hosts;
  for (const auto& tool : input.plan.task.tools)
    for (const auto& action : tool.actions)
      for (const auto& rule : action.requests)
        if (rule.scheme == "https" && std::find(hosts.begin(), hosts.end(), rule.host) == hosts.end())
          hosts.push_back(rule.host);
  if (hosts.empty()) return "";
  return fmt::format(
      "\nThe request rules need Cilium's L7 proxy, which reads https only by terminating it: set\n"
      "Cilium's tls.secretsBackend=k8s and tls.secretSync.enabled=true, make the image trust a CA of\n"
      "yours, and create in kube-system\n"
      "  {0}: a tls secret (tls.crt, tls.key) signed by that CA for {1}\n"
      "  {2}: a secret whose ca.crt holds the CAs the upstreams are verified against\n"
      "Without them the intercepted connections fail.\n",
      interceptSecretName(name), fmt::join(hosts, ", "), upstreamSecretName(name));
}

std::optional<Json> k8sRequestPolicy(const ExportInput& input, const std::string& name, const Json& podLabels,
                                     std::vector<Loss>& losses) {
  if (!hasRequestRules(input.plan)) return std::nullopt;
  auto ports = inspectedPorts(input.plan);
  addLosses(input.plan, ports, losses);
  Json egress = Json::array();
  for (const auto& p : ports) {
    Json rule;
    if (auto address = addressOf(p.host)) {
      auto holes = unreachableParts(address->unmapped(), false);
      if (!holes.empty()) continue;  // never reachable: the destination's own loss says so
      rule["toCIDRSet"] = {{{"cidr", address->unmapped().text()}}};
    } else {
      rule["toFQDNs"] = {{{"matchName", p.host}}};
    }
    Json to{{"ports", {{{"port", std::to_string(p.port)}, {"protocol", "TCP"}}}}};
    // Cilium's Envoy reads https only by terminating it with a certificate the pod trusts, then
    // verifying the upstream against the CAs of the second secret.
    if (p.scheme == "https") {
      to["terminatingTLS"] = {{"secret", {{"namespace", "kube-system"}, {"name", interceptSecretName(name)}}}};
      to["originatingTLS"] = {{"secret", {{"namespace", "kube-system"}, {"name", upstreamSecretName(name)}}}};
    }
    to["rules"] = {{"http", p.http}};
    rule["toPorts"] = {to};
    egress.push_back(rule);
  }
  // No request allowed (every action needs approval): no L7 rule, and the L4 allow is left out too.
  if (egress.empty()) return std::nullopt;
  return Json{{"apiVersion", "cilium.io/v2"},
              {"kind", "CiliumNetworkPolicy"},
              {"metadata", {{"name", name + "-requests"}, {"labels", podLabels}}},
              {"spec", {{"endpointSelector", {{"matchLabels", podLabels}}}, {"egress", egress}}}};
}

}  // namespace sbx::exporters
