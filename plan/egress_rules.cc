#include "plan/egress_rules.h"

#include <algorithm>
#include <cstring>

#include "net/address_classes.h"
#include "net/address_spelling.h"
#include "net/ip_address.h"

namespace sbx::run {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool toolMay(const EgressRule& rule, const std::string& tool) {
  return rule.tool.empty() || rule.tool == tool;
}

}  // namespace

std::optional<IpAddress> parseAddressLiteral(std::string_view text) {
  auto address = IpAddress::parse(net::withoutBrackets(text));
  if (!address) return std::nullopt;
  return address->unmapped();
}

EgressRules EgressRules::fromPlan(const std::vector<plan::Destination>& egress, const std::vector<plan::Tool>& tools,
                                  const std::string& protocol) {
  EgressRules out;
  for (const auto& t : tools)
    if (!t.exec.empty()) out.toolExecutables_.emplace_back(t.exec, t.name);
  for (const auto& e : egress) {
    if (e.protocol != protocol) continue;
    EgressRule r;
    using Kind = plan::DestinationKind;
    r.kind = e.kind == Kind::Wildcard                     ? EgressRule::Kind::Wildcard
             : e.kind == Kind::Any                        ? EgressRule::Kind::Any
             : e.kind == Kind::Ip || e.kind == Kind::Cidr ? EgressRule::Kind::Address
                                                          : EgressRule::Kind::Host;
    r.host = lower(e.host);
    if (r.kind == EgressRule::Kind::Address) {
      auto network = net::Network::parse(e.address, e.prefix);
      if (!network) continue;
      r.network = network->unmapped();
    }
    r.portLow = e.portLow;
    r.portHigh = e.portHigh;
    r.destination = e.text;
    r.tool = e.tool;
    out.rules_.push_back(std::move(r));
  }
  return out;
}

bool EgressRules::hasToolRules() const {
  return std::any_of(rules_.begin(), rules_.end(), [](const EgressRule& r) { return !r.tool.empty(); });
}

std::vector<std::string> EgressRules::toolsWithRules() const {
  std::vector<std::string> tools;
  for (const auto& r : rules_)
    if (!r.tool.empty() && std::find(tools.begin(), tools.end(), r.tool) == tools.end()) tools.push_back(r.tool);
  return tools;
}

std::string EgressRules::toolOf(const std::string& path) const {
  for (const auto& [exec, tool] : toolExecutables_)
    if (!path.empty() && exec == path) return tool;
  return "";
}

const EgressRule* EgressRules::matchName(const std::string& host, std::uint16_t port, const std::string& tool) const {
  std::string name = lower(host);
  auto literal = parseAddressLiteral(name);
  for (const auto& r : rules_) {
    if (port < r.portLow || port > r.portHigh || !toolMay(r, tool)) continue;
    bool matches = false;
    switch (r.kind) {
      case EgressRule::Kind::Any:
        matches = true;
        break;
      case EgressRule::Kind::Host:
        matches = !literal && name == r.host;
        break;
      case EgressRule::Kind::Wildcard:
        matches = !literal && name.size() > r.host.size() + 1 && name.ends_with("." + r.host);
        break;
      case EgressRule::Kind::Address:
        matches = literal && r.network.contains(*literal);
        break;
    }
    if (matches) return &r;
  }
  return nullptr;
}

bool EgressRules::namesHost(const std::string& name) const {
  if (parseAddressLiteral(name)) return false;
  // Each rule at a port and for a tool of its own: a match there is a match of some rule.
  for (const auto& r : rules_)
    if (r.kind != EgressRule::Kind::Address && matchName(name, r.portLow, r.tool)) return true;
  return false;
}

const EgressRule* EgressRules::coveringAddressRule(const IpAddress& candidate, std::uint16_t port,
                                                   const std::string& tool) const {
  IpAddress address = candidate.unmapped();
  for (const auto& r : rules_)
    if (r.kind == EgressRule::Kind::Address && port >= r.portLow && port <= r.portHigh && toolMay(r, tool) &&
        r.network.contains(address))
      return &r;
  return nullptr;
}

std::optional<std::string> EgressRules::refuseAddress(const IpAddress& candidate, std::uint16_t port,
                                                      const EgressRule* byName, const std::string& tool) const {
  if (candidate.family == 0) return "not an IP address";
  // An IPv4-mapped IPv6 address reaches the IPv4 host: it is judged as that address.
  IpAddress address = candidate.unmapped();
  if (net::inAny(address, net::neverReachable()))
    return address.text() + " is link-local, cloud metadata or not a unicast address";
  if (net::isIpv4Compatible(address))  // from a resolver's answer: a policy cannot name one
    return address.text() + " is an IPv4-compatible IPv6 address";
  const EgressRule* covering = coveringAddressRule(address, port, tool);
  if (net::inAny(address, net::namedOnly()) && !covering)
    return address.text() + " is a loopback or private address the policy does not name";
  if (!byName && !covering) return address.text() + " is not on the allowlist";
  return std::nullopt;
}

}  // namespace sbx::run
