// Socket brokering (runtime/socket_broker.h, issue 21) against the real kernel: sbx-run with a
// policy that allows one loopback TCP server and one UDP server of the test's own, and clients
// with no proxy settings (tests/runtime/probes/netprobe.c, dynamic and static; curl). Every
// escape from a brokered socket is attempted inside the sandbox and must fail, and a server the
// policy does not allow, listening on the host, must see nothing of any attempt.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/file_lock.h"
#include "support/http_server.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

constexpr int kTcpEcho = 28120, kUdpEcho = 28121, kOther = 28122, kClosed = 28123, kHttp = 28124;

// The cases share these ports, and ctest runs them in parallel: each holds this lock while it runs.
struct PortsLock : FileLock {
  PortsLock() : FileLock("/tmp/sbx-socket-broker-test.lock") {}
};

// Loopback servers on the host: a TCP echo and a UDP echo (allowed), and on kOther a TCP listener
// and a UDP socket (not allowed) that count whatever reaches them.
class Servers {
 public:
  Servers() : tcp_(listenOnLoopback(kTcpEcho, 64)), other_(listenOnLoopback(kOther, 64)) {
    udp_ = udpOn(kUdpEcho);
    otherUdp_ = udpOn(kOther);
    thread_ = std::thread([this] { serve(); });
  }
  ~Servers() {
    stop_ = true;
    thread_.join();
    for (int fd : {tcp_, other_, udp_, otherUdp_}) close(fd);
    for (int fd : clients_) close(fd);
  }
  int reachedOther() const { return reachedOther_; }

 private:
  static int udpOn(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind udp");
    return fd;
  }
  // One thread, poll: echoes TCP clients and UDP datagrams, counts what reaches kOther.
  void serve() {
    while (!stop_) {
      std::vector<pollfd> ready = {{tcp_, POLLIN, 0}, {other_, POLLIN, 0}, {udp_, POLLIN, 0}, {otherUdp_, POLLIN, 0}};
      for (int fd : clients_) ready.push_back({fd, POLLIN, 0});
      if (poll(ready.data(), ready.size(), 50) <= 0) continue;
      if (ready[0].revents) clients_.push_back(accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC));
      if (ready[1].revents) {
        ++reachedOther_;
        close(accept4(other_, nullptr, nullptr, SOCK_CLOEXEC));
      }
      char data[65536];
      sockaddr_storage from{};
      socklen_t size = sizeof from;
      if (ready[2].revents) {
        ssize_t n = recvfrom(udp_, data, sizeof data, 0, reinterpret_cast<sockaddr*>(&from), &size);
        if (n >= 0) sendto(udp_, data, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), size);
      }
      if (ready[3].revents && recv(otherUdp_, data, sizeof data, 0) >= 0) ++reachedOther_;
      for (std::size_t i = 4; i < ready.size(); ++i) {
        if (!ready[i].revents) continue;
        ssize_t n = recv(ready[i].fd, data, sizeof data, 0);
        if (n > 0) {
          send(ready[i].fd, data, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        } else {
          close(ready[i].fd);
          std::erase(clients_, ready[i].fd);
        }
      }
    }
  }
  int tcp_, other_, udp_ = -1, otherUdp_ = -1;
  std::vector<int> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<int> reachedOther_{0};
  std::thread thread_;
};

struct Sandbox {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", audit = dir.path() / "audit.jsonl", policy = dir.path() / "t.sbx";
  Sandbox() {
    fs::create_directories(workspace);
    fs::permissions(dir.path(), fs::perms::all | fs::perms::sticky_bit);
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
    // The probes are read (and run) where the build left them.
    writeText(policy, fmt::format(R"(import std.programs
import std.syscalls
task t {{
  use programs.curl
  use programs.shell
  use programs.python3
  write workspace
  read "{}"
  timeout 60s
  connect "127.0.0.1:{}", "127.0.0.1:{}", "127.0.0.1:{}"
  connect "127.0.0.1:{}" udp
  syscalls {{
    default errno EPERM
    allow @syscalls.network-io
  }}
  limits {{ memory 512MiB  pids 64 }}
}}
)",
                                  fs::path(SBX_NETPROBE).parent_path().string(), kTcpEcho, kClosed, kHttp, kUdpEcho));
  }
  Run run(const std::string& script) const {
    return sbx::test::run(
        {"/usr/bin/env", "SBX_RUN_CACHE=" + (dir.path() / "cache").string(), SBX_RUN_BINARY, "--workspace",
         workspace.string(), "--audit", audit.string(), policy.string(), "--", "/bin/sh", "-c", script},
        "", dir.path().string(), {"PATH=/usr/bin:/bin"});
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("socket brokering: a raw TCP client and a UDP client, dynamic and static, reach the allowed servers alone") {
  PortsLock ports;
  if (geteuid() != 0) return skipTest("needs root (the probes are read from the build directory)");
  Servers servers;
  Sandbox s;
  for (const char* probe : {SBX_NETPROBE, SBX_NETPROBE_STATIC}) {
    CAPTURE(probe);
    Run r = s.run(fmt::format(
        "unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; P={}; "
        "$P tcp 127.0.0.1 {}; $P tcp-nonblocking 127.0.0.1 {}; $P udp 127.0.0.1 {}; $P udp-connected 127.0.0.1 {}; "
        "$P tcp 127.0.0.1 {}; $P tcp 127.0.0.1 {}; $P tcp 192.0.2.1 80; $P tcp 169.254.169.254 80; "
        "$P udp 192.0.2.1 53; $P udp 127.0.0.1 {}; true",
        probe, kTcpEcho, kTcpEcho, kUdpEcho, kUdpEcho, kClosed, kOther, kOther));
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(has(r.out, fmt::format("tcp 127.0.0.1:{} -> ping\n", kTcpEcho)));
    CHECK(has(r.out, "tcp nodelay carried -> yes"));
    CHECK(has(r.out, fmt::format("udp 127.0.0.1:{} -> ping\n", kUdpEcho)));
    CHECK(has(r.out, fmt::format("udp 127.0.0.1:{} again -> ping\n", kUdpEcho)));
    // Allowed, but nothing listens there on the host: the host's answer.
    CHECK(has(r.out, fmt::format("tcp 127.0.0.1:{} -> error Connection refused", kClosed)));
    // Not allowed, on loopback: the sandbox's own, empty, loopback answers.
    CHECK(has(r.out, fmt::format("tcp 127.0.0.1:{} -> error Connection refused", kOther)));
    // Not allowed, elsewhere: refused by the broker, named on stderr and in the audit log.
    CHECK(has(r.out, "tcp 192.0.2.1:80 -> error Connection refused"));
    CHECK(has(r.out, "tcp 169.254.169.254:80 -> error Connection refused"));
    CHECK(has(r.out, "udp 192.0.2.1:53 -> error Connection refused"));
    CHECK(has(r.err, "sbx-run: connect to 192.0.2.1:80 refused in task "));
    CHECK(has(r.err, ": 192.0.2.1 is not on the allowlist (Connection refused)"));
    CHECK(has(r.err, "sbx-run: connect to 169.254.169.254:80 refused in task "));
  }
  std::string audit = readText(s.audit);
  CHECK(has(audit, fmt::format(R"("event":"egress","destination":"127.0.0.1:{}","verdict":"allowed","connected":true)",
                               kTcpEcho)));
  CHECK(has(audit, fmt::format(R"("destination":"127.0.0.1:{}","verdict":"allowed","protocol":"udp")", kUdpEcho)));
  CHECK(has(
      audit,
      R"("destination":"192.0.2.1:80","verdict":"refused","syscall":"connect","reason":"192.0.2.1 is not on the allowlist","errno":111)"));
  CHECK(has(audit, R"("via":"socket")"));
  CHECK(servers.reachedOther() == 0);
}

TEST_CASE("socket brokering: curl without proxy variables fetches from an allowed loopback server, and no other") {
  PortsLock ports;
  if (geteuid() != 0) return skipTest("needs root (the probes are read from the build directory)");
  Servers servers;
  HttpServer http(kHttp);
  Sandbox s;
  Run r =
      s.run(fmt::format("unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; "
                        "curl -sS --max-time 10 http://127.0.0.1:{}/; echo \"curl other -> $(curl -sS --max-time 10 "
                        "http://127.0.0.1:{}/ 2>&1)\"",
                        kHttp, kOther));
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, fmt::format("hello from {}", kHttp)));
  CHECK(has(r.out, "curl other -> curl: (7)"));
  CHECK(http.served() == 1);
  CHECK(servers.reachedOther() == 0);
}

TEST_CASE("socket brokering: every way out of a brokered socket fails, the race on its descriptor included") {
  PortsLock ports;
  if (geteuid() != 0) return skipTest("needs root (the probes are read from the build directory)");
  Servers servers;
  Sandbox s;
  for (const char* probe : {SBX_NETPROBE, SBX_NETPROBE_STATIC}) {
    CAPTURE(probe);
    Run r = s.run(fmt::format("{} escapes 127.0.0.1 {} {} {}", probe, kTcpEcho, kUdpEcho, kOther));
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(!has(r.out, "ESCAPED"));
    for (const char* name :
         {"second-connect", "disconnect", "fastopen-sendto", "fastopen-sendmsg-unspec", "connect-after-unspec", "bind",
          "listen", "udp-sendto-other", "udp-reconnect", "udp-disconnect", "udp-bind"})
      CHECK_MESSAGE(has(r.out, std::string(name) + " -> refused ("), name);
    // Sends whose address the kernel ignores on a connected socket: refused, or echoed back by the
    // one destination (this kernel: the bytes go there; the other server's count says nothing left).
    for (const char* name : {"fastopen-sendmsg", "udp-sendmsg-other", "udp-sendmmsg-other"})
      CHECK_MESSAGE((has(r.out, std::string(name) + " -> refused (") ||
                     has(r.out, std::string(name) + " -> kept its destination")),
                    name);
    CHECK(has(r.out, "disconnect -> refused (Permission denied)"));
    CHECK(has(r.out, "bind -> refused (Permission denied)"));
    CHECK(has(r.out, "still-connected -> ping"));
    CHECK(has(r.out, "udp-still-connected -> ping"));
    CHECK(has(r.out, "race-connect -> done"));
    CHECK(has(r.out, "race-fastopen -> done"));
  }
  CHECK(servers.reachedOther() == 0);
}

TEST_CASE("socket brokering: UNIX socket paths are bound and connected as the payload, in the sandbox's root") {
  if (geteuid() != 0) return skipTest("needs root (the probes are read from the build directory)");
  Sandbox s;
  {
    Run r = s.run(R"(python3 -c '
import os, socket
l = socket.socket(socket.AF_UNIX); l.bind("/workspace/own.sock"); l.listen(4)
c = socket.socket(socket.AF_UNIX); c.connect("/workspace/own.sock"); print("own -> connected")
os.chdir("/workspace")
r = socket.socket(socket.AF_UNIX); r.connect("own.sock"); print("relative -> connected")
k = socket.socket(socket.AF_UNIX); k.bind("/workspace/locked.sock"); k.listen(1); os.chmod("/workspace/locked.sock", 0)
try:  # no write permission for its owner either: a connect made as root would pass
    socket.socket(socket.AF_UNIX).connect("/workspace/locked.sock"); print("locked -> connected")
except OSError as e:
    print("locked ->", e.strerror)
try:
    socket.socket(socket.AF_UNIX).connect("/workspace/missing.sock")
except OSError as e:
    print("missing ->", e.strerror)
a = socket.socket(socket.AF_UNIX); a.bind("\0sbx-abstract"); a.listen(1)
socket.socket(socket.AF_UNIX).connect("\0sbx-abstract"); print("abstract -> connected")
print("owner", os.stat("/workspace/own.sock").st_uid == os.getuid())
')");
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(has(r.out, "own -> connected"));
    CHECK(has(r.out, "relative -> connected"));
    CHECK(has(r.out, "locked -> Permission denied"));
    CHECK(has(r.out, "missing -> No such file or directory"));
    CHECK(has(r.out, "abstract -> connected"));
    CHECK(has(r.out, "owner True"));
  }
}
