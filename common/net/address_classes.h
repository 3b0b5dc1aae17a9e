// The address ranges egress treats specially, as data: sbx-run's proxy never connects to the
// first set whatever the policy says, and to the second only when an address or network rule
// names the address. The exporters carve the same ranges out of the networks they allow.
#pragma once
#include <span>

#include "net/ip_address.h"

namespace sbx {

struct AddressRange {
  const char* network;  // IPv4 or IPv6 text
  int prefix;
};

// Link-local and cloud metadata (169.254.0.0/16, fe80::/10, fd00:ec2::254), unspecified,
// multicast and broadcast.
inline constexpr AddressRange kNeverReachable[] = {{"169.254.0.0", 16}, {"fe80::", 10},   {"fd00:ec2::254", 128},
                                                   {"0.0.0.0", 8},      {"224.0.0.0", 4}, {"240.0.0.0", 4},
                                                   {"::", 128},         {"ff00::", 8}};

// Loopback, private and shared.
inline constexpr AddressRange kNamedOnly[] = {{"127.0.0.0", 8},    {"10.0.0.0", 8},    {"172.16.0.0", 12},
                                              {"192.168.0.0", 16}, {"100.64.0.0", 10}, {"::1", 128},
                                              {"fc00::", 7}};

// The cloud metadata services: the addresses they answer on (port 80) and the names that reach
// them. The classifier's metadata-reachable finding reads these; the addresses are in
// kNeverReachable, so sbx-run's proxy never connects to them.
inline constexpr const char* kMetadataAddresses[] = {"169.254.169.254", "fd00:ec2::254"};
inline constexpr const char* kMetadataHosts[] = {"metadata.google.internal", "metadata.goog", "metadata"};

namespace net {

// The tables above, parsed once.
std::span<const Network> neverReachable();
std::span<const Network> namedOnly();
// Whether `address` (IPv4-mapped IPv6 addresses as the IPv4 address) lies in one of `networks`.
bool inAny(const IpAddress& address, std::span<const Network> networks);

}  // namespace net

}  // namespace sbx
