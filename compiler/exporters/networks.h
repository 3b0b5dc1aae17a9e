// IP networks for the exporters that write address allowlists (Kubernetes ipBlocks, systemd
// IPAddressAllow=): the task's IP and CIDR destinations, and the ranges sbx-run's proxy never
// reaches (util/address_classes.h) carved out of them, either as `except` lists or, for targets
// without exceptions, as the prefixes that cover the rest exactly.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace sbx::exporters {

struct Network {
  int family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 0;
  std::string text() const;  // "10.0.0.0/8", "fd00:ec2::254/128"
  friend bool operator==(const Network&, const Network&) = default;
};

std::optional<Network> parseNetwork(const std::string& address, int prefix);

// `inner` lies wholly inside `outer`.
bool contains(const Network& outer, const Network& inner);

// The networks of an IP, CIDR or any-address destination (both families for "*"); empty for names.
std::vector<Network> networksOf(const plan::Destination& destination);

// The ranges of `network` a connection may never reach: sbx-run's never-reachable ranges, and for
// an any-address destination the loopback, private and shared ones too (the proxy reaches those
// only when a rule names them). Those inside `network`, in table order; `network` itself when it
// lies inside one (nothing of it is reachable).
std::vector<Network> unreachableParts(const Network& network, bool anyAddress);

// `network` minus `holes`, as the fewest prefixes that cover exactly the rest, in address order.
std::vector<Network> subtract(const Network& network, const std::vector<Network>& holes);

}  // namespace sbx::exporters
