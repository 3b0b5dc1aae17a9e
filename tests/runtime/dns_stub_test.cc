// sbx-run's DNS stub (runtime/dns_stub.h, issue 21 point 3) against the real kernel: a policy with
// a host rule, a name the host resolver maps to an address of this case's own network, and
// clients in the sandbox that resolve for themselves (getent, curl without proxy variables,
// Python). The network is a namespace of the case's own whose loopback also holds 198.51.100.7
// (the allowed name's server) and 198.51.100.8 (a server no name of the policy resolves to); the
// host resolver's files (/etc/hosts, /etc/resolv.conf) are the case's own, bound in a mount
// namespace of its own, which sbx-run (and so c-ares in its supervisor) inherits. The sandbox
// itself sees neither: its resolv.conf is the stub's.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "support/paths.h"
#include "support/private_namespaces.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

constexpr int kPort = 28140;

int boundSocket(int type, const char* address, int port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, address, &a.sin_addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (type == SOCK_STREAM && listen(fd, 16) != 0))
    throw std::runtime_error(fmt::format("bind {}:{}", address, port));
  return fd;
}

// An HTTP server on address:kPort answering "hello from ADDRESS", and counting the connections.
class NamedServer {
 public:
  explicit NamedServer(const char* address) : fd_(boundSocket(SOCK_STREAM, address, kPort)), address_(address) {
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        ++connections_;
        char request[4096];
        pollfd r{c, POLLIN, 0};
        if (poll(&r, 1, 5000) > 0 && recv(c, request, sizeof request, 0) > 0) {
          std::string body = "hello from " + address_ + "\n";
          std::string reply = fmt::format("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.size(), body);
          send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
        close(c);
      }
    });
  }
  ~NamedServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  NamedServer(const NamedServer&) = delete;
  NamedServer& operator=(const NamedServer&) = delete;
  int connections() const { return connections_; }

 private:
  int fd_;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

void ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/sbin/ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  Run r = run(argv);
  if (r.exitCode != 0) throw std::runtime_error("ip: " + r.err);
}

void bindFile(const fs::path& file, const char* over) {
  if (mount(file.c_str(), over, nullptr, MS_BIND, nullptr) != 0)
    throw std::runtime_error(fmt::format("bind {} over {}", file.string(), over));
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Run in the sandbox: queries of its own to the stub, hostile ones first, and one to another
// server on port 53 that a rule of the policy names.
constexpr const char* kDnsProbe = R"(
import random, socket, struct
def header(ident=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)
def name(*labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"
def ask(message, tcp=False):
    if tcp:
        s = socket.create_connection(("127.0.0.53", 53), timeout=5)
        s.sendall(struct.pack(">H", len(message)) + message)
        reply = b""
        while len(reply) < 2 or len(reply) < 2 + struct.unpack(">H", reply[:2])[0]:
            more = s.recv(4096)
            if not more: break
            reply += more
        return reply[2:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(message, ("127.0.0.53", 53))
    return s.recv(4096)
A = struct.pack(">HH", 1, 1)
api = name(b"api", b"example", b"test")
print("loop rcode", ask(header() + b"\xc0\x0c" + A)[3] & 15)
print("nul rcode", ask(header() + name(b"evil\0x", b"example", b"test") + A)[3] & 15)
print("dot rcode", ask(header() + name(b"api.example", b"test") + A)[3] & 15)
rng = random.Random(21)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    s.sendto(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600))), ("127.0.0.53", 53))
    s.sendto(header(ident=i) + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 80))), ("127.0.0.53", 53))
r = ask(header() + api + A)
print("udp", r[3] & 15, socket.inet_ntoa(r[-4:]))
r = ask(header() + api + A, tcp=True)
print("tcp", r[3] & 15, socket.inet_ntoa(r[-4:]))
r = ask(header() + api + struct.pack(">HH", 16, 1))
print("txt", r[3] & 15, struct.unpack(">H", r[6:8])[0])
r = ask(header() + name(b"other", b"example", b"test") + A)
print("other", r[3] & 15)
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(header() + api + A, ("198.51.100.7", 53))
    print("another server: sent")
except OSError as e:
    print("another server:", e.strerror)
)";

}  // namespace

TEST_CASE(
    "dns stub: a name the policy allows resolves and connects, and other names, addresses and DNS servers do not") {
  if (geteuid() != 0) return skipTest("needs root (network and mount namespaces)");
  if (access("/usr/sbin/ip", X_OK) != 0) return skipTest("no /usr/sbin/ip (iproute2)");
  for (const char* program : {"/usr/bin/curl", "/usr/bin/getent", "/usr/bin/python3"})
    if (access(program, X_OK) != 0) return skipTest(fmt::format("no {}", program));
  TempDir dir;
  writeText(dir.path() / "hosts",
            "198.51.100.7 api.example.test\n198.51.100.8 other.example.test\n127.0.0.9 inside.example.test\n");
  writeText(dir.path() / "resolv.conf", "nameserver 127.0.0.1\n");  // nothing listens: no name leaves the case
  PrivateNamespaces namespaces;
  ip({"link", "set", "lo", "up"});
  ip({"addr", "add", "198.51.100.7/32", "dev", "lo"});
  ip({"addr", "add", "198.51.100.8/32", "dev", "lo"});
  bindFile(dir.path() / "hosts", "/etc/hosts");
  bindFile(dir.path() / "resolv.conf", "/etc/resolv.conf");
  NamedServer allowed("198.51.100.7"), other("198.51.100.8");
  int dnsElsewhere = boundSocket(SOCK_DGRAM, "198.51.100.7", 53);

  fs::path workspace = dir.path() / "ws", audit = dir.path() / "audit.jsonl", policy = dir.path() / "t.sbx";
  fs::create_directories(workspace);
  if (chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  writeText(workspace / "dns.py", kDnsProbe);
  writeText(policy, fmt::format(R"(import std.programs
import std.syscalls
task t {{
  use programs.curl
  use programs.python3
  use programs.shell
  read "/etc/resolv.conf"
  write workspace
  timeout 60s
  connect "api.example.test:{0}"
  connect "inside.example.test:{0}"
  @suppress(dns-destination, reason "the test checks that sbx-run refuses it anyway")
  connect "198.51.100.7:53" udp
  syscalls {{
    default errno EPERM
    allow @syscalls.network-io
  }}
  limits {{ memory 512MiB  pids 64 }}
}}
)",
                                kPort));
  std::string script = fmt::format(R"(
grep -v '^#' /etc/resolv.conf
getent hosts api.example.test; echo "getent=$?"
getent hosts other.example.test; echo "getent other=$?"
curl -sS --noproxy '*' -m 10 http://api.example.test:{0}/; echo "curl=$?"
curl -sS --noproxy '*' -m 10 http://198.51.100.8:{0}/; echo "by address=$?"
curl -sS --noproxy '*' -m 10 http://inside.example.test:{0}/; echo "inside=$?"
python3 /workspace/dns.py
)",
                                   kPort);
  Run r = run({SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(), policy.string(), "--",
               "/bin/sh", "-c", script},
              "", dir.path().string(),
              {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + (dir.path() / "cache").string(),
               "SBX_STATE_DIR=" + (dir.path() / "state").string()});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  // The policy grants the host's resolv.conf (here the case's own): the stub's is bound over it.
  CHECK(has(r.out, "nameserver 127.0.0.53\n198.51.100.7    api.example.test\ngetent=0\n"));
  CHECK(has(r.out, "getent other=2\n"));  // NXDOMAIN: not looked up at all
  CHECK(has(r.out, "hello from 198.51.100.7\ncurl=0\n"));
  CHECK(has(r.out, "by address=7\n"));  // no allowed name resolved to it
  CHECK(has(r.out, "inside=7\n"));      // a name cannot open a loopback address
  CHECK(has(r.out, "loop rcode 1\nnul rcode 5\ndot rcode 1\n"));
  CHECK(has(r.out, "udp 0 198.51.100.7\ntcp 0 198.51.100.7\ntxt 0 0\nother 3\n"));
  CHECK(has(r.out, "another server: Connection refused\n"));
  CHECK(allowed.connections() == 1);
  CHECK(other.connections() == 0);
  char datagram[512];
  CHECK(recv(dnsElsewhere, datagram, sizeof datagram, MSG_DONTWAIT) < 0);  // nothing reached it
  close(dnsElsewhere);
  CHECK(has(r.err, "sbx-run: DNS query for other.example.test refused in task t: no rule of the task names it\n"));
  CHECK(has(r.err,
            "sbx-run: sendto to 198.51.100.7:53 refused in task t: DNS leaves the sandbox only through "
            "sbx-run's stub on 127.0.0.53:53"));
  std::string log = readText(audit);
  CHECK(has(log,
            R"("event":"dns","name":"api.example.test","type":"A","verdict":"answered","addresses":["198.51.100.7"])"));
  CHECK(has(log, R"("event":"dns","name":"other.example.test","type":"A","verdict":"refused","rcode":"NXDOMAIN")"));
  CHECK(has(log, R"("destination":"198.51.100.7:28140","verdict":"allowed","connected":true)"));
  CHECK(has(log, R"("destination":"198.51.100.8:28140","verdict":"refused","syscall":"connect")"));
}

TEST_CASE("dns stub: the sandbox's resolv.conf names it where the policy grants none, and it answers no other name") {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", policy = dir.path() / "t.sbx";
  fs::create_directories(workspace);
  if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  writeText(policy, R"(import std.programs
import std.syscalls
task t {
  use programs.shell
  write workspace
  timeout 60s
  connect "127.0.0.1:28141"
  syscalls {
    default errno EPERM
    allow @syscalls.network-io
  }
  limits { memory 256MiB  pids 32 }
}
)");
  Run r = run({SBX_RUN_BINARY, "--workspace", workspace.string(), policy.string(), "--", "/bin/sh", "-c",
               "cat /etc/resolv.conf; getent hosts example.com; echo \"getent=$?\""},
              "", dir.path().string(),
              {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + (dir.path() / "cache").string(),
               "SBX_STATE_DIR=" + (dir.path() / "state").string()});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "# sbx-run's DNS stub: the names the task's egress rules allow\nnameserver 127.0.0.53\ngetent=2\n");
  CHECK(has(r.err, "sbx-run: DNS query for example.com refused in task t: no rule of the task names it\n"));
  for (const auto& entry : fs::directory_iterator(dir.path() / "state"))  // the stub's file is gone with the run
    CHECK(entry.path().filename().string().rfind("dns-", 0) != 0);
}
