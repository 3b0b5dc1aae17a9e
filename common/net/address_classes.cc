#include "net/address_classes.h"

#include <algorithm>
#include <iterator>
#include <vector>

namespace sbx::net {

namespace {

template <std::size_t N>
std::vector<Network> parsed(const AddressRange (&ranges)[N]) {
  std::vector<Network> out;
  for (const AddressRange& r : ranges) out.push_back(*Network::parse(r.network, r.prefix));
  return out;
}

}  // namespace

std::span<const Network> neverReachable() {
  static const std::vector<Network> table = parsed(kNeverReachable);
  return table;
}

std::span<const Network> namedOnly() {
  static const std::vector<Network> table = parsed(kNamedOnly);
  return table;
}

bool inAny(const IpAddress& address, std::span<const Network> networks) {
  IpAddress plain = address.unmapped();
  return std::any_of(networks.begin(), networks.end(), [&](const Network& n) { return n.contains(plain); });
}

}  // namespace sbx::net
