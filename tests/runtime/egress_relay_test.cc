// The egress proxy's relay, through sbx-run, with loopback servers of the test's own (127.0.0.1
// only): 64 MiB each way at once through a CONNECT tunnel arrive byte-exact, even when the client
// exits before the proxy has passed on all it sent, and the audit line counts exactly those bytes;
// a client that closes its tunnel while the server still sends does not kill the launcher; a small
// request and its reply cross the tunnel at once (a relay that corked its writes would hold each
// for TCP's probe timer, about 200 ms).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/http_server.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

constexpr std::size_t kBulkBytes = std::size_t{64} << 20;
constexpr int kBulkPort = 28090, kEchoPort = 28091, kEndlessPort = 28092;

// Pseudo-random bytes (splitmix64 from `seed`): a block lost, repeated or out of order shows.
std::string pseudoRandom(std::size_t size, std::uint64_t seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t b = 0; b < 8 && i + b < size; ++b) bytes[i + b] = static_cast<char>(z >> (8 * b));
  }
  return bytes;
}

// One connection on 127.0.0.1:`port`, served by `serve` on a thread of its own.
class OneShotServer {
 public:
  template <typename Serve>
  OneShotServer(int port, Serve serve) {
    fd_ = listenOnLoopback(port, 4);
    thread_ = std::thread([this, serve] {
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      serve(client);
      close(client);
    });
  }
  ~OneShotServer() {
    shutdown(fd_, SHUT_RDWR);  // unblocks accept when no connection came
    thread_.join();
    close(fd_);
  }
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

 private:
  int fd_ = -1;
  std::thread thread_;
};

bool sendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string receiveAll(int fd) {
  std::string bytes;
  std::vector<char> buffer(1 << 20);
  for (ssize_t n; (n = recv(fd, buffer.data(), buffer.size(), 0)) > 0;)
    bytes.append(buffer.data(), static_cast<std::size_t>(n));
  return bytes;
}

constexpr const char* kPolicy = R"(import std.programs
import std.syscalls
task relay {
  use programs.python3
  write workspace
  timeout 60s
  connect "127.0.0.1:28090", "127.0.0.1:28091", "127.0.0.1:28092"
  syscalls {
    default errno EPERM
    allow @syscalls.network-io
  }
  limits { memory 1GiB  pids 64 }
}
)";

// CONNECT through the proxy; then the bulk exchange (send up.bin while writing what comes back to
// down.bin), or an abort (close the tunnel while the server sends), or round trips of 300 bytes,
// printing the median in milliseconds.
constexpr const char* kClient = R"(import socket, sys, threading, time
def tunnel(port):
    s = socket.create_connection(("127.0.0.1", 3128))
    s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (port, port))
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = s.recv(1)
        assert byte, head
        head += byte
    assert head.startswith(b"HTTP/1.1 200"), head
    return s
if sys.argv[1] == "bulk":
    s = tunnel(int(sys.argv[2]))
    up = open("/workspace/up.bin", "rb").read()
    def send():
        s.sendall(up)
        s.shutdown(socket.SHUT_WR)
    sender = threading.Thread(target=send)
    sender.start()
    with open("/workspace/down.bin", "wb") as down:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            down.write(chunk)
    sender.join()
    print("bulk done")
elif sys.argv[1] == "abort":
    s = tunnel(int(sys.argv[2]))
    got = 0
    while got < 1 << 20:
        chunk = s.recv(1 << 16)
        assert chunk
        got += len(chunk)
    s.close()  # unread data: a reset, while the proxy still writes to it
    time.sleep(1)
    print("closed the tunnel")
else:
    s = tunnel(int(sys.argv[2]))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for i in range(12):
        message = bytes([i]) * 300
        start = time.monotonic()
        s.sendall(message)
        reply = b""
        while len(reply) < len(message):
            chunk = s.recv(len(message) - len(reply))
            assert chunk, reply
            reply += chunk
        times.append(time.monotonic() - start)
        assert reply == message
    times.sort()
    print("round trip median ms %.1f" % (times[len(times) // 2] * 1000))
)";

struct Sandbox {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", audit = dir.path() / "audit.jsonl", policy = dir.path() / "relay.sbx";
  Sandbox() {
    fs::create_directories(workspace);
    fs::permissions(dir.path(), fs::perms::all | fs::perms::sticky_bit);  // like /tmp: the cache may sit below it
    writeText(policy, kPolicy);
    writeText(workspace / "client.py", kClient);
  }
  Run run(const std::string& mode, int port) const {
    if (geteuid() == 0)
      for (const auto& entry : fs::recursive_directory_iterator(workspace))
        if (chown(entry.path().c_str(), 65534, 65534) != 0) FAIL("chown");
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
    return sbx::test::run({"/usr/bin/env", "SBX_RUN_CACHE=" + (dir.path() / "cache").string(), SBX_RUN_BINARY,
                           "--workspace", workspace.string(), "--audit", audit.string(), policy.string(), "--",
                           "python3", "/workspace/client.py", mode, std::to_string(port)},
                          "", dir.path().string(), {"PATH=/usr/bin:/bin"});
  }
};

void writeBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("egress relay: 64 MiB each way at once arrive byte-exact and the audit line counts them") {
  const std::string up = pseudoRandom(kBulkBytes, 1), down = pseudoRandom(kBulkBytes, 2);
  std::string receivedUp;
  Sandbox s;
  writeBytes(s.workspace / "up.bin", up);
  Run r;
  {
    // Sends its 64 MiB while it reads the client's: both directions of the tunnel busy at once.
    OneShotServer server(kBulkPort, [&](int client) {
      std::thread sender([&] {
        sendAll(client, down);
        shutdown(client, SHUT_WR);
      });
      receivedUp = receiveAll(client);
      sender.join();
    });
    r = s.run("bulk", kBulkPort);
  }
  INFO(r.out << r.err << " signal " << r.signal);
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("bulk done") != std::string::npos);
  CHECK(receivedUp.size() == up.size());
  CHECK((receivedUp == up));
  std::string receivedDown = readText(s.workspace / "down.bin");
  CHECK(receivedDown.size() == down.size());
  CHECK((receivedDown == down));
  std::string audit = readText(s.audit);
  CHECK(audit.find(fmt::format(R"("destination":"127.0.0.1:{0}","address":"127.0.0.1","verdict":"allowed",)"
                               R"("rule":"127.0.0.1:{0}","bytesSent":{1},"bytesReceived":{1}}})",
                               kBulkPort, kBulkBytes)) != std::string::npos);
}

TEST_CASE("egress relay: a small request and its reply cross the tunnel without waiting") {
  Sandbox s;
  Run r;
  {
    OneShotServer echo(kEchoPort, [](int client) {
      int one = 1;
      setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      char buffer[4096];
      for (ssize_t n; (n = recv(client, buffer, sizeof buffer, 0)) > 0;)
        if (!sendAll(client, std::string_view(buffer, static_cast<std::size_t>(n)))) break;
    });
    r = s.run("echo", kEchoPort);
  }
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  auto at = r.out.find("round trip median ms ");
  REQUIRE(at != std::string::npos);
  double medianMs = std::stod(r.out.substr(at + 21));
  // A corked relay holds each message about 200 ms each way; an uncorked one takes well under a
  // millisecond here, and 50 ms leaves room for a loaded machine.
  CHECK(medianMs < 50);
}

TEST_CASE("egress relay: a client that closes its tunnel while the server sends does not end the launcher") {
  Sandbox s;
  Run r;
  {
    OneShotServer endless(kEndlessPort, [](int client) {
      const std::string block = pseudoRandom(1 << 20, 3);
      while (sendAll(client, block)) {
      }
    });
    r = s.run("abort", kEndlessPort);
  }
  INFO(r.out << r.err << " signal " << r.signal);
  CHECK(r.signal == 0);  // SIGPIPE, from a write to the closed tunnel, killed it once
  CHECK(r.exitCode == 0);
  CHECK(r.out.find("closed the tunnel") != std::string::npos);
  std::string audit = readText(s.audit);
  CHECK(audit.find(fmt::format(R"("destination":"127.0.0.1:{}","address":"127.0.0.1","verdict":"allowed")",
                               kEndlessPort)) != std::string::npos);
  CHECK(audit.find(R"("event":"exit")") != std::string::npos);
}
