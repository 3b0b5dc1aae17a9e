// sbx-run's DNS stub (docs/egress.md, "Names"): how a sandboxed program resolves the names its
// task's host and wildcard rules allow, so that a client that resolves for itself (and then
// connects through the socket broker, socket_broker.h) works with host rules.
//
// The sandbox's init makes a UDP socket and a TCP listener on 127.0.0.53:53 in the sandbox's own
// network namespace and hands both to the launcher, as it does the proxy's listener; the
// sandbox's /etc/resolv.conf names that address (stub_resolv_conf.h). The launcher's threads
// answer there: an A or AAAA query for a name that some host, wildcard or any rule of the task
// names (TCP or UDP, any port: a query carries nothing of the tool that sent it, so the stub
// answers the union, and the broker judges each connect per tool and port) gets the addresses the
// host resolver (resolver.h, c-ares) returns, which are remembered for the run (resolved_names.h);
// another type for such a name gets no records; any other name NXDOMAIN, a name the host-name
// check refuses (net/host_name.h: a NUL, a control byte, `_`...) REFUSED, a malformed message
// FORMERR, another opcode NOTIMP (dns_message.h). Nothing but the allowed names is ever looked
// up, so names are no channel out. Each decision is an audit line ("dns").
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "plan/egress_rules.h"
#include "runtime/audit.h"
#include "runtime/dns_message.h"
#include "runtime/resolved_names.h"

namespace sbx::run {

constexpr const char* kDnsStubAddress = "127.0.0.53";
constexpr std::uint16_t kDnsPort = 53;

// Why a connection to `port` may not leave the sandbox, whatever the rules say: DNS leaves it only
// through the stub. The socket broker and the proxy both refuse on it. nullopt for other ports.
std::optional<std::string> refusedAsDns(std::uint16_t port);

// In the sandbox's init: the stub's UDP socket and TCP listener on kDnsStubAddress:kDnsPort.
// False with `error`.
bool openDnsStubSockets(int& udp, int& tcp, std::string& error);

class DnsStub {
 public:
  static constexpr int kThreads = 4;  // queries answered at once (a lookup may take seconds)
  static constexpr std::uint32_t kTtlSeconds = 30;
  static constexpr int kTcpTimeoutMs = 2000;      // for a TCP client to send its query
  static constexpr std::size_t kMaxPrinted = 20;  // refusals told on stderr, one per name

  // Takes `udp` and `tcp` (openDnsStubSockets). `tcpRules`, `udpRules`: the task's allowlist, whose
  // names are answered; `resolved`: where answers are remembered; `task`: for messages.
  DnsStub(int udp, int tcp, EgressRules tcpRules, EgressRules udpRules, ResolvedNames& resolved, AuditLog& audit,
          std::string task);
  ~DnsStub();
  DnsStub(const DnsStub&) = delete;
  DnsStub& operator=(const DnsStub&) = delete;
  void start();
  void stop();

 private:
  void serve();
  void serveTcp(int connection);
  std::string answer(std::string_view message);
  std::string refuse(const dns::Query& query, bool withQuestion, const std::string& name, const std::string& why,
                     dns::Rcode rcode);

  int udp_, tcp_;
  int wake_[2] = {-1, -1};  // the write end closes: the threads return
  EgressRules tcpRules_, udpRules_;
  ResolvedNames& resolved_;
  AuditLog& audit_;
  std::string task_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;  // guards printed_
  std::set<std::string> printed_;
};

}  // namespace sbx::run
