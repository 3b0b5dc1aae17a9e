// IP networks for the exporters that write address allowlists (Kubernetes ipBlocks, systemd
// IPAddressAllow=): the task's IP and CIDR destinations, and the ranges sbx-run's proxy never
// reaches (net/address_classes.h) carved out of them, either as `except` lists or, for targets
// without exceptions, as the prefixes that cover the rest exactly.
#pragma once
#include <vector>

#include "net/ip_address.h"
#include "plan/plan.h"

namespace sbx::exporters {

using net::Network;

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
