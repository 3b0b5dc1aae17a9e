// Name resolution for the egress proxy, with c-ares: /etc/hosts, then the nameservers of
// /etc/resolv.conf. sbx-run is linked statically, and glibc's getaddrinfo would need the NSS
// modules of the exact glibc it was built with at run time; c-ares needs nothing but the files.
#pragma once
#include <string>
#include <vector>

#include "plan/egress_rules.h"

namespace sbx::run {

// The IPv4 and IPv6 addresses of `host` (an address literal resolves to itself). Empty, with
// `error`, when it cannot be resolved within a few seconds.
std::vector<IpAddress> resolveHost(const std::string& host, std::string& error);

}  // namespace sbx::run
