// Egress: the proxy's decision (plan/egress_rules.h) for a host name depends only on which host
// rules it equals and which wildcard suffixes it lies under; for an address literal, on which rule
// networks and which fixed address classes (net/address_classes.h) contain it; and on the port
// range and the client's tool. So names, addresses, ports and tools are each cut at the rules'
// boundaries and one of each piece is tried, per protocol.
#include <fmt/format.h>

#include <set>

#include "net/address_classes.h"
#include "plan/egress_rules.h"
#include "prove/authority_compare.h"

namespace sbx::prove {

namespace {

// A name under no rule's host: it matches only "any" rules.
constexpr const char* kFreshLabel = "sbx-prove-unlisted";

void addNetworkEdges(const net::Network& n, std::vector<net::IpAddress>& out) {
  net::IpAddress first = n.address(), next = first;
  int bytes = n.family == 4 ? 4 : 16;
  for (int i = n.prefix; i < bytes * 8; ++i) next.bytes[static_cast<std::size_t>(i / 8)] |= 1 << (7 - i % 8);
  out.push_back(first);
  for (int i = bytes - 1; i >= 0; --i)  // last + 1, unless it wraps
    if (++next.bytes[static_cast<std::size_t>(i)] != 0) {
      out.push_back(next);
      break;
    }
}

std::string hostPort(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

struct Decision {
  bool allowed = false;
  std::string text;
};

Decision decide(const run::EgressRules& rules, const std::string& host, std::uint16_t port, const std::string& tool) {
  const run::EgressRule* byName = rules.matchName(host, port, tool);
  if (auto literal = run::parseAddressLiteral(host)) {
    auto refusal = rules.refuseAddress(*literal, port, byName, tool);
    if (refusal) return {false, "refused: " + *refusal};
    return {true, byName ? "allowed by `" + byName->destination + "`" : "allowed"};
  }
  if (!byName) return {false, "refused (no rule matches it)"};
  return {true, "allowed by `" + byName->destination + "`"};
}

}  // namespace

void compareEgress(const plan::Plan& newer, const plan::Plan& older, Comparison& out) {
  std::set<std::string> tools{""};
  for (const auto* p : {&newer, &older})
    for (const auto& t : p->task.tools) tools.insert(t.name);
  for (const char* protocol : {"tcp", "udp"}) {
    auto n = run::EgressRules::fromPlan(newer.egress, newer.task.tools, protocol);
    auto o = run::EgressRules::fromPlan(older.egress, older.task.tools, protocol);
    std::set<std::string> hosts{kFreshLabel + std::string(".invalid")};
    std::set<std::uint32_t> ports{1};
    std::vector<net::IpAddress> addresses;
    for (const auto& network : net::neverReachable()) addNetworkEdges(network, addresses);
    for (const auto& network : net::namedOnly()) addNetworkEdges(network, addresses);
    addNetworkEdges(*net::Network::parse("0.0.0.0", 0), addresses);
    addNetworkEdges(*net::Network::parse("::", 0), addresses);
    addNetworkEdges(*net::Network::parse("::", 96), addresses);  // IPv4-compatible addresses
    for (const auto* p : {&newer, &older})
      for (const auto& d : p->egress) {
        if (d.protocol != protocol) continue;
        ports.insert(d.portLow);
        ports.insert(std::uint32_t{d.portHigh} + 1);
        if (d.kind == plan::DestinationKind::Host) hosts.insert(d.host);
        if (d.kind == plan::DestinationKind::Wildcard) hosts.insert(std::string(kFreshLabel) + "." + d.host);
        if (d.kind == plan::DestinationKind::Ip || d.kind == plan::DestinationKind::Cidr)
          if (auto network = net::Network::parse(d.address, d.prefix)) addNetworkEdges(network->unmapped(), addresses);
      }
    for (const auto& a : addresses) hosts.insert(a.text());
    for (std::uint32_t port : ports) {
      if (port == 0 || port > 65535) continue;
      for (const auto& host : hosts)
        for (const auto& tool : tools) {
          auto p = static_cast<std::uint16_t>(port);
          Decision dn = decide(n, host, p, tool), dold = decide(o, host, p, tool);
          if (!dn.allowed || dold.allowed) continue;
          std::string who = tool.empty() ? "" : fmt::format(" by tool `{}`", tool);
          out.counterexamples.push_back(
              {"egress", fmt::format("{} ({}){}", hostPort(host, p), protocol, who), dn.text, dold.text});
          return;
        }
    }
  }
}

}  // namespace sbx::prove
