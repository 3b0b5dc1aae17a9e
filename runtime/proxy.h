// The egress proxy: an HTTP proxy (CONNECT, and absolute-URI requests for plain HTTP) that the
// launcher runs on the host side of the sandbox. Its listening socket lives in the sandbox's
// network namespace (init creates it on 127.0.0.1:3128 and passes it over), so the payload reaches
// it on its own loopback while every connection the proxy makes leaves from the host's namespace.
// Each request is judged by the allowlist (egress_rules.h) before any name is resolved, and every
// resolved address is judged again; each decision is an audit line (destination, verdict, bytes).
// Allowed connections are relayed with splice(2): the bytes never enter user space.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/audit.h"
#include "runtime/egress_rules.h"

namespace sbx::run {

constexpr const char* kProxyAddress = "127.0.0.1";
constexpr std::uint16_t kProxyPort = 3128;

// HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and their lower-case forms, pointing at the proxy.
std::vector<std::string> proxyEnvironment();

// In the sandbox's init: the listening socket on kProxyAddress:kProxyPort. -1 with `error`.
int listenForProxy(std::string& error);

class EgressProxy {
 public:
  // `sandboxInit`: the sandbox's init, whose processes the clients are.
  EgressProxy(int listener, EgressRules rules, AuditLog& audit, pid_t sandboxInit);
  ~EgressProxy();
  EgressProxy(const EgressProxy&) = delete;
  EgressProxy& operator=(const EgressProxy&) = delete;

  void start();
  // Stops accepting, ends every relay, and waits for the last audit line.
  void stop();

 private:
  void acceptLoop();
  void serve(int client);
  void track(int fd, bool add);

  int listener_;
  EgressRules rules_;
  AuditLog& audit_;
  pid_t sandboxInit_;
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::set<int> open_;  // client and upstream sockets of live connections
  int connections_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace sbx::run
