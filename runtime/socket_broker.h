// Socket brokering (docs/egress.md): for a task with egress, the supervisor performs the payload's
// connect(2), bind(2) and sendto(2)-with-an-address itself (notify_rules.h holds them), on its own
// duplicate of the caller's socket (pidfd_getfd) and with its own copy of the address
// (remote_memory.h). A held call is never let run (no SECCOMP_USER_NOTIF_FLAG_CONTINUE): what
// the caller changes after the check, in its memory or its descriptor table, changes nothing.
//
// An IPv4 or IPv6 destination is judged by the task's allowlist (egress_rules.h, per tool, as the
// proxy judges). Allowed: a TCP socket is made in the host's network namespace, given the options
// the caller's socket had, connected by the supervisor (on a worker thread: a connect may take
// long) and installed in place of the caller's descriptor (SECCOMP_IOCTL_NOTIF_ADDFD with
// SECCOMP_ADDFD_FLAG_SETFD) only once connected, so the sandbox never holds a host socket that is
// not established: the kernel then refuses it a second connect (EISCONN), listen (EINVAL) and TCP
// Fast Open (EISCONN), and the supervisor refuses the one way out, connect(AF_UNSPEC), and bind
// (EACCES). A UDP socket becomes a flow of the relay (udp_relay.h). Refused: ECONNREFUSED, an
// audit line and a message naming the destination. A loopback destination the policy does not name
// is the sandbox's own loopback, connected there as the caller asked. Port 53 (DNS, TCP or UDP) is
// never brokered: names leave the sandbox only through the DNS stub on its loopback (dns_stub.h).
#pragma once
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "plan/egress_rules.h"
#include "runtime/audit.h"
#include "runtime/remote_memory.h"
#include "runtime/resolved_names.h"
#include "runtime/socket_option_reader.h"
#include "runtime/udp_relay.h"
#include "runtime/unix_path_call.h"

namespace sbx::run {

class SocketBroker {
 public:
  static constexpr int kMaxWorkers = 32;             // calls that may block, at once
  static constexpr int kConnectTimeoutSeconds = 60;  // a host connect that takes longer fails (ETIMEDOUT)
  static constexpr std::size_t kMaxPrinted = 20;

  // `uid`, `gid`: the payload's, inside its user namespace (unix_path_call.h).
  // `tcp`, `udp`: the task's allowlist for each protocol.
  SocketBroker(EgressRules tcp, EgressRules udp, AuditLog& audit, std::string task, uid_t uid, gid_t gid);
  ~SocketBroker();
  SocketBroker(const SocketBroker&) = delete;
  SocketBroker& operator=(const SocketBroker&) = delete;

  // Answers `request` (a connect, bind or sendto the task's filter allows), now or from a worker.
  void handle(int listener, const seccomp_notif& request);
  // Host:ports whose requests the inspector judges one by one (inspector_process.h). A connect
  // there, once judged and connected on the host, is not given to the caller: the caller gets one
  // end of a loopback TCP pair (loopback_pair.h), and `handOver` gives the other end and the host
  // connection to the inspector, which tells TLS from plain HTTP by the first byte. Clients thus
  // need no proxy variables, and none can bypass the request rules, injection or approvals. False
  // from `handOver`: the inspector is gone, and the connect fails (ECONNREFUSED).
  using HandOver = std::function<bool(const std::string& tool, const std::string& host, std::uint16_t port,
                                      int inspectorEnd, int upstream)>;
  void keepForInspection(std::set<std::pair<std::string, std::uint16_t>> destinations, HandOver handOver) {
    inspected_ = std::move(destinations);
    handOver_ = std::move(handOver);
  }
  // The names the sandbox resolved through the DNS stub (dns_stub.h): a host or wildcard rule then
  // allows a connect to an address one of its names resolved to. Outlives the broker.
  void judgeNamesBy(const ResolvedNames* names) { names_ = names; }
  // Ends the calls in progress (their sockets shut down, helpers killed) and waits for the workers.
  void stop();

 private:
  struct Held;
  void connectCall(Held& held);
  void bindCall(Held& held);
  void sendtoCall(Held& held);
  // Runs `work` on a worker thread, which answers; EAGAIN (and false) when kMaxWorkers are busy.
  template <typename Work>
  bool onWorker(Held& held, Work work);
  // Connects to the held call's destination on the host, then finishTcp, at once or on a worker.
  // `inspected`: the caller gets a loopback pair's end, the inspector the connection (keepForInspection).
  void brokerTcp(Held& held, bool inspected);
  // A host TCP socket to the held call's destination, its connect started: or -errno.
  int startOnHost(const Held& held);
  // The started connect of `host` after at most `milliseconds`: 0, its error, or EINPROGRESS (0 ms).
  int connectedWithin(int host, int milliseconds);
  // Installs connected `host` in the caller (or answers `error`).
  void finishTcp(Held& held, int host, int error, bool inspected);
  // The flow's inode once installed in the caller; 0 when not (answered with the error, or gone).
  unsigned long brokerUdp(Held& held, const sockaddr_storage& destination, socklen_t size);
  long readPayload(Held& held, std::string& bytes, bool datagram);
  long sent(const Held& held, ssize_t n, int flags);
  void trackHelper(pid_t pid);
  // A UNIX socket's path, looked up as the caller would (unix_path_call.h), on a worker.
  void unixPathOnWorker(Held& held, UnixPathCall::Kind kind, std::string bytes = {}, int flags = 0);
  void refuse(const Held& held, const std::string& destination, const std::string& why, int error);
  void audit(nlohmann::ordered_json line);

  const EgressRules& rulesFor(const Held& held) const;
  // Why the held call may not reach `address`:`port` on the host; nullopt when it may.
  std::optional<std::string> refusal(const Held& held, const IpAddress& address, std::uint16_t port) const;
  EgressRules tcp_, udp_;
  AuditLog& audit_;
  std::string task_;
  uid_t uid_;
  gid_t gid_;
  const ResolvedNames* names_ = nullptr;
  CallerDescriptors callers_;   // the supervisor thread's alone
  SocketOptionReader options_;  // the supervisor thread's alone
  UdpRelay relay_;
  std::mutex mutex_;  // guards what follows
  std::condition_variable idle_;
  int workers_ = 0;
  bool stopping_ = false;
  std::set<std::pair<std::string, std::uint16_t>> inspected_;
  HandOver handOver_;
  std::set<int> inProgress_;  // sockets a worker waits on
  std::set<pid_t> helpers_;   // unix_path_call.h's children
  std::set<std::string> printed_;
  int wake_[2] = {-1, -1};  // closed by stop(): wakes the host connects' polls
};

}  // namespace sbx::run
