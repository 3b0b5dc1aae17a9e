// The names the sandbox resolved through sbx-run's DNS stub (dns_stub.h), and the addresses the
// host resolver gave for each, for the whole run: how the socket broker (socket_broker.h) lets a
// host or wildcard rule open a connect to an address. A connect to an address is judged as a
// connect to each allowed name that resolved to it, per tool and port, then by the address
// table of egress_rules.h as always (so a name cannot open a loopback, private or metadata
// address). Bounded: past kMaxNames names, or kMaxAddressesPerName addresses of one name, nothing
// more is remembered, and the stub answers SERVFAIL rather than an address a connect would then
// be refused.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "plan/egress_rules.h"

namespace sbx::run {

class ResolvedNames {
 public:
  static constexpr std::size_t kMaxNames = 4096, kMaxAddressesPerName = 64;

  // Remembers that `name` (canonical, net/host_name.h) resolved to `addresses`; false when the
  // bounds leave some of them out (nothing is then added).
  bool remember(const std::string& name, const std::vector<IpAddress>& addresses);
  // The names that resolved to `address`.
  std::vector<std::string> namesOf(const IpAddress& address) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::set<std::string>> addressesOf_;  // name -> address texts
  std::map<std::string, std::set<std::string>> namesOf_;      // address text -> names
};

// The rule that lets a client of `tool` reach `address`:`port`: an address rule covering it, or a
// name rule for a name that resolved to it (`names` may be null: no stub). `byName` tells which
// name, when one did. Null when none does.
const EgressRule* matchResolved(const EgressRules& rules, const ResolvedNames* names, const IpAddress& address,
                                std::uint16_t port, const std::string& tool, std::string* byName = nullptr);

}  // namespace sbx::run
