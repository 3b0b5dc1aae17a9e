// The egress allowlist of plan.json, as the proxy judges a request with it.
//
// A request names a host (a name or an address literal) and a port. The proxy resolves names
// itself and judges every address it would connect to, so DNS cannot route around the list:
//   - link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) and
//     addresses no one connects to (unspecified, multicast, broadcast) are always refused;
//   - loopback, private and shared ranges (127/8, 10/8, 172.16/12, 192.168/16, 100.64/10, ::1,
//     fc00::/7) only when an address or network rule of the policy covers the address;
//   - any other address when a host rule matched the name, or an address rule covers it.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_address.h"
#include "plan/plan.h"

namespace sbx::run {

using net::IpAddress;

// An address literal as the proxy compares it: an IPv6 literal's brackets dropped, an IPv4-mapped
// IPv6 address as the IPv4 address it maps (net/ip_address.h); nullopt for anything else.
std::optional<IpAddress> parseAddressLiteral(std::string_view text);

struct EgressRule {
  enum class Kind { Host, Wildcard, Any, Address };
  Kind kind = Kind::Host;
  std::string host;      // Host: the name; Wildcard: the suffix (subdomains of it match)
  net::Network network;  // Address: an IPv4-mapped network held as the IPv4 network it maps
  std::uint16_t portLow = 0, portHigh = 0;
  std::string destination;  // as declared, e.g. "*.github.com:443"
  std::string tool;         // the tool that alone may use it; empty: the whole task
};

class EgressRules {
 public:
  // The entries of plan.json's "egress" list of `protocol` ("tcp": the proxy's and the broker's
  // TCP; "udp": the broker's UDP flows); `tools` is the task's tools (plan.json's task.tools),
  // whose executables name the tool a client is.
  static EgressRules fromPlan(const std::vector<plan::Destination>& egress, const std::vector<plan::Tool>& tools,
                              const std::string& protocol = "tcp");
  bool empty() const { return rules_.empty(); }
  // Whether some rule is a tool's: only then does the proxy look up who a client is.
  bool hasToolRules() const;
  // The tools that some rule is for.
  std::vector<std::string> toolsWithRules() const;
  // The tool whose executable is `path`; empty when none is.
  std::string toolOf(const std::string& path) const;

  // The first rule that lets a client reach `host`:`port` by name (host, wildcard or any rule),
  // or by address (`host` an address literal, an address rule covering it). `tool` is the
  // client's tool, empty when it is none: tool rules need that tool.
  const EgressRule* matchName(const std::string& host, std::uint16_t port, const std::string& tool) const;
  // Whether a host, wildcard or any rule matches the host name `name` (canonical), for some port
  // and some tool: the names sbx-run's DNS stub resolves for the sandbox (runtime/dns_stub.h).
  bool namesHost(const std::string& name) const;
  // Whether the proxy may connect to `address`:`port` for a request that `byName` matched (or
  // not): nullopt when it may, else why not.
  std::optional<std::string> refuseAddress(const IpAddress& address, std::uint16_t port, const EgressRule* byName,
                                           const std::string& tool) const;

 private:
  const EgressRule* coveringAddressRule(const IpAddress& address, std::uint16_t port, const std::string& tool) const;
  std::vector<EgressRule> rules_;
  std::vector<std::pair<std::string, std::string>> toolExecutables_;  // (exec path, tool)
};

}  // namespace sbx::run
