// The egress proxy: an HTTP proxy (CONNECT, and absolute-URI requests for plain HTTP) that the
// launcher runs on the host side of the sandbox. Its listening socket lives in the sandbox's
// network namespace (init creates it on 127.0.0.1:3128 and passes it over), so the payload reaches
// it on its own loopback while every connection the proxy makes leaves from the host's namespace.
// Each request is judged by the allowlist (plan/egress_rules.h) before any name is resolved, and every
// resolved address is judged again; each decision is an audit line (destination, verdict, bytes).
// A refused client is told why: a Proxy-Status header and a body naming the task, the
// destination, the rule and the policy line that would allow it (proxy_refusal.h).
// Under `sbx-run --learn` (policy_learner.h) nothing is refused that a policy line could allow: the
// destination is recorded and connected; without a learner the judging is unchanged.
// Allowed connections are relayed with splice(2): the bytes never enter user space.
#pragma once
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "plan/egress_rules.h"
#include "runtime/audit.h"
#include "runtime/proxy_capacity.h"

namespace sbx::run {

class InspectorProcess;
class PolicyLearner;

constexpr const char* kProxyAddress = "127.0.0.1";
constexpr std::uint16_t kProxyPort = 3128;

// HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and their lower-case forms, pointing at the proxy.
std::vector<std::string> proxyEnvironment();

// In the sandbox's init: the listening socket on kProxyAddress:kProxyPort. -1 with `error`.
int listenForProxy(std::string& error);

class EgressProxy {
 public:
  // `sandboxInit`: the sandbox's init, whose processes the clients are. `limits`: the plan's task
  // limits, whose memory limit bounds the connections the task may hold (proxy_capacity.h).
  // `task`: the task's name, which a refused client is told (proxy_refusal.h). `learner`: null
  // when enforcing. `inspector`: where connections to inspected host:ports go once judged and
  // connected (inspector_process.h); null when the plan has no request rules.
  EgressProxy(int listener, EgressRules rules, AuditLog& audit, pid_t sandboxInit, const plan::Limits& limits,
              std::string task, PolicyLearner* learner = nullptr, InspectorProcess* inspector = nullptr);
  ~EgressProxy();
  EgressProxy(const EgressProxy&) = delete;
  EgressProxy& operator=(const EgressProxy&) = delete;

  void start();
  // Once the sandbox is gone: stops accepting, delivers what clients sent before they went (for a
  // few seconds at most: an upstream may not read), ends every relay, and waits for the last audit
  // line.
  void stop();

 private:
  // Each thread of the proxy waits in accept(2) and serves the connection it gets itself: a new
  // thread's first run waits for a time slice on a busy machine (hundreds of microseconds here),
  // a waking one does not. One that finishes accepts again, unless enough others already wait.
  void acceptLoop();
  void startThread();  // with mutex_ held
  // Who the client is, from every process that holds its socket now: a tool only when all of them
  // run that tool's executable.
  std::string clientTool(int client) const;
  void serve(int client, const std::string& toolAtAccept);
  const IpAddress* learnAddress(const std::vector<IpAddress>& addresses, std::uint16_t port);
  void track(int fd, bool add, bool upstream = false);

  int listener_;
  std::string task_;
  EgressRules rules_;
  PolicyLearner* learner_;
  InspectorProcess* inspector_;
  EgressRule learned_;  // what a learned destination is allowed by
  AuditLog& audit_;
  pid_t sandboxInit_;
  std::mutex mutex_;
  ProxyCapacity capacity_;  // with mutex_ held
  std::condition_variable finished_;
  std::map<int, bool> open_;  // the sockets of live connections: true for an upstream one
  int threads_ = 0, waiting_ = 0;
  bool started_ = false, stopping_ = false;
};

}  // namespace sbx::run
