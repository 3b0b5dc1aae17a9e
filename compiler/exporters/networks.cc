#include "exporters/networks.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include "util/address_classes.h"

namespace sbx::exporters {

namespace {

int bitsOf(const Network& n) {
  return n.family == 4 ? 32 : 128;
}

bool bitAt(const Network& n, int bit) {
  return (n.bytes[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1;
}

// Clears the host bits, so that equal networks compare equal.
Network normalized(Network n) {
  for (int bit = n.prefix; bit < bitsOf(n); ++bit)
    n.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  return n;
}

std::vector<Network> parsedTable(const AddressRange* begin, const AddressRange* end) {
  std::vector<Network> out;
  for (const AddressRange* r = begin; r != end; ++r) out.push_back(*parseNetwork(r->network, r->prefix));
  return out;
}

const std::vector<Network>& neverReachable() {
  static const auto table = parsedTable(std::begin(kNeverReachable), std::end(kNeverReachable));
  return table;
}

const std::vector<Network>& namedOnly() {
  static const auto table = parsedTable(std::begin(kNamedOnly), std::end(kNamedOnly));
  return table;
}

bool overlaps(const Network& a, const Network& b) {
  return contains(a, b) || contains(b, a);
}

void subtractInto(const Network& network, const std::vector<Network>& holes, std::vector<Network>& out) {
  bool split = false;
  for (const auto& hole : holes) {
    if (!overlaps(network, hole)) continue;
    if (contains(hole, network)) return;  // nothing of it is left
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

std::string Network::text() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return fmt::format("{}/{}", buffer, prefix);
}

std::optional<Network> parseNetwork(const std::string& address, int prefix) {
  Network n;
  if (inet_pton(AF_INET, address.c_str(), n.bytes.data()) == 1)
    n.family = 4;
  else if (inet_pton(AF_INET6, address.c_str(), n.bytes.data()) == 1)
    n.family = 6;
  else
    return std::nullopt;
  if (prefix < 0 || prefix > bitsOf(n)) return std::nullopt;
  n.prefix = prefix;
  return normalized(n);
}

bool contains(const Network& outer, const Network& inner) {
  if (outer.family != inner.family || outer.prefix > inner.prefix) return false;
  for (int bit = 0; bit < outer.prefix; ++bit)
    if (bitAt(outer, bit) != bitAt(inner, bit)) return false;
  return true;
}

std::vector<Network> networksOf(const plan::Destination& destination) {
  using Kind = plan::DestinationKind;
  if (destination.kind == Kind::Any) return {*parseNetwork("0.0.0.0", 0), *parseNetwork("::", 0)};
  if (destination.kind != Kind::Ip && destination.kind != Kind::Cidr) return {};
  auto n = parseNetwork(destination.address, destination.prefix);
  if (!n) return {};
  return {*n};
}

std::vector<Network> unreachableParts(const Network& network, bool anyAddress) {
  std::vector<Network> out;
  auto collect = [&](const std::vector<Network>& table) {
    for (const auto& range : table) {
      if (contains(range, network)) {
        out = {network};
        return true;
      }
      if (contains(network, range)) out.push_back(range);
    }
    return false;
  };
  if (collect(neverReachable())) return out;
  if (anyAddress && collect(namedOnly())) return out;
  return out;
}

std::vector<Network> subtract(const Network& network, const std::vector<Network>& holes) {
  std::vector<Network> out;
  subtractInto(network, holes, out);
  return out;
}

}  // namespace sbx::exporters
