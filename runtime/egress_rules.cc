#include "runtime/egress_rules.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "util/address_classes.h"

namespace sbx::run {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool inNetwork(const IpAddress& address, const IpAddress& network, int prefix) {
  if (address.family != network.family) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    int byte = bit / 8, mask = 0x80 >> (bit % 8);
    if ((address.bytes[byte] & mask) != (network.bytes[byte] & mask)) return false;
  }
  return true;
}

// The ranges never reachable through the proxy, whatever the policy says, and those reachable only
// when the policy names the address or its network: util/address_classes.h, which the exporters share.
template <std::size_t N>
bool inAny(const IpAddress& address, const AddressRange (&ranges)[N]) {
  return std::any_of(std::begin(ranges), std::end(ranges),
                     [&](const AddressRange& r) { return inNetwork(address, *IpAddress::parse(r.network), r.prefix); });
}

bool toolMay(const EgressRule& rule, const std::string& tool) {
  return rule.tool.empty() || rule.tool == tool;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(const std::string& text) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  std::string bare =
      text.size() > 2 && text.front() == '[' && text.back() == ']' ? text.substr(1, text.size() - 2) : text;
  if (inet_pton(AF_INET6, bare.c_str(), a.bytes.data()) != 1) return std::nullopt;
  a.family = 6;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    a.family = 4;
  }
  return a;
}

IpAddress IpAddress::fromSockaddr(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  else
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  return parse(text).value_or(IpAddress{});
}

std::string IpAddress::text() const {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), out, sizeof out);
  return out;
}

EgressRules EgressRules::fromPlan(const std::vector<plan::Destination>& egress, const std::vector<plan::Tool>& tools) {
  EgressRules out;
  for (const auto& t : tools)
    if (!t.exec.empty()) out.toolExecutables_.emplace_back(t.exec, t.name);
  for (const auto& e : egress) {
    if (e.protocol != "tcp") continue;  // the proxy carries TCP only
    EgressRule r;
    using Kind = plan::DestinationKind;
    r.kind = e.kind == Kind::Wildcard                     ? EgressRule::Kind::Wildcard
             : e.kind == Kind::Any                        ? EgressRule::Kind::Any
             : e.kind == Kind::Ip || e.kind == Kind::Cidr ? EgressRule::Kind::Address
                                                          : EgressRule::Kind::Host;
    r.host = lower(e.host);
    if (r.kind == EgressRule::Kind::Address) {
      auto address = IpAddress::parse(e.address);
      if (!address) continue;
      r.address = *address;
      r.prefix = e.prefix;
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
  auto literal = IpAddress::parse(name);
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
        matches = literal && inNetwork(*literal, r.address, r.prefix);
        break;
    }
    if (matches) return &r;
  }
  return nullptr;
}

const EgressRule* EgressRules::coveringAddressRule(const IpAddress& address, std::uint16_t port,
                                                   const std::string& tool) const {
  for (const auto& r : rules_)
    if (r.kind == EgressRule::Kind::Address && port >= r.portLow && port <= r.portHigh && toolMay(r, tool) &&
        inNetwork(address, r.address, r.prefix))
      return &r;
  return nullptr;
}

std::optional<std::string> EgressRules::refuseAddress(const IpAddress& address, std::uint16_t port,
                                                      const EgressRule* byName, const std::string& tool) const {
  if (address.family == 0) return "not an IP address";
  if (inAny(address, kNeverReachable))
    return address.text() + " is link-local, cloud metadata or not a unicast address";
  const EgressRule* covering = coveringAddressRule(address, port, tool);
  if (inAny(address, kNamedOnly) && !covering)
    return address.text() + " is a loopback or private address the policy does not name";
  if (!byName && !covering) return address.text() + " is not on the allowlist";
  return std::nullopt;
}

}  // namespace sbx::run
