#include "exporters/networks.h"

#include <span>

#include "net/address_classes.h"

namespace sbx::exporters {

namespace {

bool overlaps(const Network& a, const Network& b) {
  return a.contains(b) || b.contains(a);
}

void subtractInto(const Network& network, const std::vector<Network>& holes, std::vector<Network>& out) {
  bool split = false;
  for (const auto& hole : holes) {
    if (!overlaps(network, hole)) continue;
    if (hole.contains(network)) return;  // nothing of it is left
    split = true;
  }
  if (!split) {
    out.push_back(network);
    return;
  }
  Network low = network, high = network;
  low.prefix = high.prefix = network.prefix + 1;
  high.bytes[static_cast<std::size_t>(network.prefix / 8)] |= static_cast<std::uint8_t>(0x80 >> (network.prefix % 8));
  subtractInto(low, holes, out);
  subtractInto(high, holes, out);
}

}  // namespace

std::vector<Network> networksOf(const plan::Destination& destination) {
  using Kind = plan::DestinationKind;
  if (destination.kind == Kind::Any) return {*Network::parse("0.0.0.0", 0), *Network::parse("::", 0)};
  if (destination.kind != Kind::Ip && destination.kind != Kind::Cidr) return {};
  auto n = Network::parse(destination.address, destination.prefix);
  if (!n) return {};
  // A mapped address reaches the IPv4 host: allowed, carved out and reported as that network.
  return {n->unmapped()};
}

std::vector<Network> unreachableParts(const Network& network, bool anyAddress) {
  std::vector<Network> out;
  auto collect = [&](std::span<const Network> table) {
    for (const auto& range : table) {
      if (range.contains(network)) {
        out = {network};
        return true;
      }
      if (network.contains(range)) out.push_back(range);
    }
    return false;
  };
  if (collect(net::neverReachable())) return out;
  if (anyAddress && collect(net::namedOnly())) return out;
  return out;
}

std::vector<Network> subtract(const Network& network, const std::vector<Network>& holes) {
  std::vector<Network> out;
  subtractInto(network, holes, out);
  return out;
}

}  // namespace sbx::exporters
