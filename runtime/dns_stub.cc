#include "runtime/dns_stub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "net/host_name.h"
#include "runtime/resolver.h"

namespace sbx::run {

std::optional<std::string> refusedAsDns(std::uint16_t port) {
  if (port != kDnsPort) return std::nullopt;
  return fmt::format("DNS leaves the sandbox only through sbx-run's stub on {}:{}", kDnsStubAddress, kDnsPort);
}

namespace {

constexpr std::size_t kMaxQueryBytes = 4096;  // larger datagrams are dropped (MSG_TRUNC tells)

// Non-blocking: every thread polls both sockets, and those that lose the race for a datagram or a
// connection must not then block in recvfrom or accept, deaf to the rest and to stop().
int stubSocket(int type, std::string& error) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kDnsPort);
  inet_pton(AF_INET, kDnsStubAddress, &address.sin_addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      (type == SOCK_STREAM && listen(fd, 16) != 0)) {
    error = fmt::format("DNS stub: {} on {}:{}: {}", type == SOCK_STREAM ? "listen" : "bind", kDnsStubAddress, kDnsPort,
                        std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

std::string typeName(std::uint16_t type) {
  return type == dns::kTypeA ? "A" : type == dns::kTypeAaaa ? "AAAA" : std::to_string(type);
}

// Reads exactly `size` bytes of the non-blocking `fd` before `deadline`.
bool readExactly(int fd, char* into, std::size_t size, std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  while (size > 0) {
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    ssize_t n = recv(fd, into, size, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    into += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool openDnsStubSockets(int& udp, int& tcp, std::string& error) {
  udp = stubSocket(SOCK_DGRAM, error);
  tcp = udp < 0 ? -1 : stubSocket(SOCK_STREAM, error);
  if (tcp >= 0) return true;
  if (udp >= 0) ::close(udp);
  udp = -1;
  return false;
}

DnsStub::DnsStub(int udp, int tcp, EgressRules tcpRules, EgressRules udpRules, ResolvedNames& resolved, AuditLog& audit,
                 std::string task)
    : udp_(udp),
      tcp_(tcp),
      tcpRules_(std::move(tcpRules)),
      udpRules_(std::move(udpRules)),
      resolved_(resolved),
      audit_(audit),
      task_(std::move(task)) {
  if (pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
}

DnsStub::~DnsStub() {
  stop();
  for (int fd : {udp_, tcp_, wake_[0]})
    if (fd >= 0) ::close(fd);
}

void DnsStub::start() {
  if (wake_[0] < 0) return;  // no way to stop them: no threads (queries then time out)
  for (int i = 0; i < kThreads; ++i) threads_.emplace_back([this] { serve(); });
}

void DnsStub::stop() {
  if (wake_[1] >= 0) ::close(wake_[1]);
  wake_[1] = -1;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void DnsStub::serve() {
  char buffer[kMaxQueryBytes];
  for (;;) {
    pollfd p[3] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[2].revents || (p[0].revents | p[1].revents) & POLLNVAL) return;
    if (p[0].revents) {  // every thread may wake for one datagram: only one gets it (an error is read, so cleared)
      sockaddr_storage from{};
      socklen_t size = sizeof from;
      ssize_t n =
          recvfrom(udp_, buffer, sizeof buffer, MSG_DONTWAIT | MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &size);
      if (n > 0 && static_cast<std::size_t>(n) <= sizeof buffer) {
        std::string reply = answer({buffer, static_cast<std::size_t>(n)});
        if (!reply.empty())
          sendto(udp_, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&from),
                 size);
      }
    }
    if (p[1].revents & POLLIN) {
      int connection = accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (connection >= 0) {
        serveTcp(connection);
        ::close(connection);
      }
    }
  }
}

// One query on a TCP connection (RFC 1035 4.2.2: a two-byte length first), then the connection ends.
void DnsStub::serveTcp(int connection) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTcpTimeoutMs);
  unsigned char length[2];
  if (!readExactly(connection, reinterpret_cast<char*>(length), 2, deadline)) return;
  std::size_t size = static_cast<std::size_t>(length[0] << 8 | length[1]);
  if (size == 0 || size > kMaxQueryBytes) return;
  std::string message(size, '\0');
  if (!readExactly(connection, message.data(), size, deadline)) return;
  std::string reply = answer(message);
  if (reply.empty()) return;
  std::string framed = {static_cast<char>(reply.size() >> 8), static_cast<char>(reply.size() & 0xFF)};
  framed += reply;  // at most 514 bytes: the socket's buffer takes it at once
  send(connection, framed.data(), framed.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

std::string DnsStub::answer(std::string_view message) {
  dns::Parsed parsed = dns::parseQuery(message);
  if (parsed.kind == dns::Parsed::Kind::Drop) return {};
  const dns::Query& query = parsed.query;
  if (parsed.kind == dns::Parsed::Kind::Error) return refuse(query, false, "", parsed.why, parsed.rcode);
  std::string raw = query.name(), why;
  auto name = canonicalHostName(raw, why);  // as the proxy checks a request's host (issue 15)
  if (!name)
    return refuse(query, true, printableHostText(raw), fmt::format("host name `{}` {}", printableHostText(raw), why),
                  dns::Rcode::Refused);
  if (query.klass != dns::kClassIn) return refuse(query, true, *name, "a class other than IN", dns::Rcode::Refused);
  if (!tcpRules_.namesHost(*name) && !udpRules_.namesHost(*name))
    return refuse(query, true, *name, "no rule of the task names it", dns::Rcode::NxDomain);
  nlohmann::ordered_json line{{"name", *name}, {"type", typeName(query.type)}};
  if (query.type != dns::kTypeA && query.type != dns::kTypeAaaa) {  // nothing else is ever looked up
    line["verdict"] = "answered";
    line["addresses"] = nlohmann::json::array();
    audit_.event("dns", std::move(line));
    return dns::buildAnswer(query, dns::Rcode::NoError, true);
  }
  std::string error;
  std::vector<IpAddress> addresses = resolveHost(*name, error);
  if (addresses.empty()) return refuse(query, true, *name, error, dns::Rcode::ServFail);
  if (!resolved_.remember(*name, addresses))
    return refuse(query, true, *name, "the run's table of resolved names is full", dns::Rcode::ServFail);
  std::vector<IpAddress> answers;
  nlohmann::json texts = nlohmann::json::array();
  for (const auto& a : addresses)
    if (a.family == (query.type == dns::kTypeA ? 4 : 6)) {
      answers.push_back(a);
      texts.push_back(a.text());
    }
  line["verdict"] = "answered";
  line["addresses"] = std::move(texts);
  audit_.event("dns", std::move(line));
  return dns::buildAnswer(query, dns::Rcode::NoError, true, answers, kTtlSeconds);
}

std::string DnsStub::refuse(const dns::Query& query, bool withQuestion, const std::string& name, const std::string& why,
                            dns::Rcode rcode) {
  const char* rcodeName = rcode == dns::Rcode::NxDomain   ? "NXDOMAIN"
                          : rcode == dns::Rcode::ServFail ? "SERVFAIL"
                          : rcode == dns::Rcode::Refused  ? "REFUSED"
                          : rcode == dns::Rcode::NotImp   ? "NOTIMP"
                                                          : "FORMERR";
  nlohmann::ordered_json line{{"name", name},
                              {"type", withQuestion ? typeName(query.type) : ""},
                              {"verdict", rcode == dns::Rcode::ServFail ? "failed" : "refused"},
                              {"rcode", rcodeName},
                              {"reason", why}};
  audit_.event("dns", std::move(line));
  {
    std::lock_guard lock(mutex_);
    if (printed_.size() < kMaxPrinted && printed_.insert(name + why).second)
      fmt::print(stderr, "sbx-run: DNS query{} {} in task {}: {}\n", name.empty() ? "" : " for " + name,
                 rcode == dns::Rcode::ServFail ? "failed" : "refused", task_, why);
  }
  return dns::buildAnswer(query, rcode, withQuestion);
}

}  // namespace sbx::run
