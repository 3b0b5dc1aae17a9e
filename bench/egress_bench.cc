// The egress proxy (runtime/proxy.h) against a direct loopback connection, in one process and one
// run: a 1 GiB transfer to a sink, and the time to a usable connection (direct: connect; through
// the proxy: connect, CONNECT, the proxy's connect upstream, its 200). Medians over alternating
// rounds; ratios against the direct connection measured in the same run. Also the CPU time each
// path costs per GiB, and the ratio that cost allows at most with every CPU working for the proxied
// path: the ceiling no relay can pass on this machine.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "runtime/audit.h"
#include "runtime/proxy.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kTransferBytes = std::size_t{1} << 30;

int listenLoopback(std::uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 256) != 0) {
    std::perror("listen");
    std::exit(1);
  }
  socklen_t length = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  port = ntohs(a.sin_port);
  return fd;
}

int connectLoopback(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// The sink: reads every connection to its end, with a thread per connection.
void runSink(int listener) {
  for (int client; (client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;)
    std::thread([client] {
      std::vector<char> buffer(1 << 20);
      while (recv(client, buffer.data(), buffer.size(), 0) > 0) {
      }
      close(client);
    }).detach();
}

// A usable connection to the sink: direct, or through the proxy with CONNECT.
int open(std::uint16_t sinkPort, std::uint16_t proxyPort) {
  if (!proxyPort) return connectLoopback(sinkPort);
  int fd = connectLoopback(proxyPort);
  std::string request = fmt::format("CONNECT 127.0.0.1:{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", sinkPort, sinkPort);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  // Read the way a client does, a buffer at a time (the proxy sends its reply in one piece); the
  // sink sends nothing, so nothing may follow the reply's head.
  std::string reply;
  char buffer[512];
  for (ssize_t n; reply.find("\r\n\r\n") == std::string::npos && (n = recv(fd, buffer, sizeof buffer, 0)) > 0;)
    reply.append(buffer, static_cast<std::size_t>(n));
  if (!reply.starts_with("HTTP/1.1 200") || !reply.ends_with("\r\n\r\n")) {
    fmt::print(stderr, "proxy refused: {}\n", reply);
    std::exit(1);
  }
  return fd;
}

// CPU time of this process: the client, the proxy and the sink, with the network stack's work done
// on their behalf (loopback delivers in the sender's context).
double processCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Transfer {
  double seconds, cpuSeconds;
};

Transfer transfer(std::uint16_t sinkPort, std::uint16_t proxyPort) {
  int fd = open(sinkPort, proxyPort);
  std::vector<char> block(1 << 20, 'x');
  double cpuStart = processCpuSeconds();
  auto start = Clock::now();
  for (std::size_t sent = 0; sent < kTransferBytes;) {
    ssize_t n = send(fd, block.data(), std::min(block.size(), kTransferBytes - sent), MSG_NOSIGNAL);
    if (n <= 0) {
      std::perror("send");
      std::exit(1);
    }
    sent += static_cast<std::size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  char c;
  while (recv(fd, &c, 1, 0) > 0) {  // the sink (through the proxy) has read everything
  }
  Transfer t{std::chrono::duration<double>(Clock::now() - start).count(), processCpuSeconds() - cpuStart};
  close(fd);
  return t;
}

double connectMicroseconds(std::uint16_t sinkPort, std::uint16_t proxyPort) {
  auto start = Clock::now();
  int fd = open(sinkPort, proxyPort);
  double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  close(fd);
  return us;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5, connects = argc > 2 ? std::atoi(argv[2]) : 300;
  std::uint16_t sinkPort = 0, proxyPort = 0;
  int sink = listenLoopback(sinkPort), proxyListener = listenLoopback(proxyPort);
  std::thread(runSink, sink).detach();

  sbx::plan::Destination sinkRule;
  sinkRule.text = fmt::format("127.0.0.1:{}", sinkPort);
  sinkRule.kind = sbx::plan::DestinationKind::Ip;
  sinkRule.address = "127.0.0.1";
  sinkRule.family = 4;
  sinkRule.prefix = 32;
  sinkRule.portLow = sinkRule.portHigh = sinkPort;
  sinkRule.protocol = "tcp";
  sbx::run::AuditLog audit;  // no file: the proxy's decisions are not written
  sbx::run::EgressProxy proxy(proxyListener, sbx::run::EgressRules::fromPlan({sinkRule}, {}), audit, getpid(),
                              sbx::plan::Limits{}, "egress_bench");  // no memory limit: the proxy's own caps
  proxy.start();

  std::vector<double> direct, proxied, ratios, directCpu, proxiedCpu, directConnect, proxiedConnect;
  transfer(sinkPort, 0);  // warm-up
  transfer(sinkPort, proxyPort);
  for (int i = 0; i < rounds; ++i) {
    Transfer d = transfer(sinkPort, 0), p = transfer(sinkPort, proxyPort);
    direct.push_back(d.seconds);
    proxied.push_back(p.seconds);
    ratios.push_back(d.seconds / p.seconds);
    directCpu.push_back(d.cpuSeconds);
    proxiedCpu.push_back(p.cpuSeconds);
  }
  for (int i = 0; i < connects; ++i) {
    directConnect.push_back(connectMicroseconds(sinkPort, 0));
    proxiedConnect.push_back(connectMicroseconds(sinkPort, proxyPort));
  }
  double gib = static_cast<double>(kTransferBytes) / (1 << 30);
  double directRate = gib / median(direct), proxiedRate = gib / median(proxied);
  fmt::print("1 GiB over loopback, median of {} rounds each (alternating):\n", rounds);
  fmt::print("  direct              {:6.2f} GiB/s\n", directRate);
  fmt::print("  through the proxy   {:6.2f} GiB/s  ratio {:.2f} (target >= 0.90)\n", proxiedRate,
             proxiedRate / directRate);
  std::string each;
  for (double r : ratios) each += fmt::format(" {:.2f}", r);
  fmt::print("  ratio of each round{}\n", each);
  // The proxied path's CPU time bounds its throughput whatever the relay does: with every CPU
  // busy for it, it could not go faster than this.
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  fmt::print("CPU time per GiB (client, proxy and sink), median:\n");
  fmt::print("  direct              {:6.3f} s\n", median(directCpu) / gib);
  fmt::print("  through the proxy   {:6.3f} s  ({:.2f}x); with all {} CPUs busy, ratio at most {:.2f}\n",
             median(proxiedCpu) / gib, median(proxiedCpu) / median(directCpu), cpus,
             static_cast<double>(cpus) * median(direct) / median(proxiedCpu));
  double added = median(proxiedConnect) - median(directConnect);
  fmt::print("connection ready, median of {} each (alternating):\n", connects);
  fmt::print("  direct              {:8.1f} us\n", median(directConnect));
  fmt::print("  through the proxy   {:8.1f} us  added {:.1f} us (target <= 1000 us)\n", median(proxiedConnect), added);
  proxy.stop();
  std::fflush(stdout);
  _exit(0);
}
