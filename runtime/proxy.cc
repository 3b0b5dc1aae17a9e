#include "runtime/proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "net/address_spelling.h"
#include "net/host_name.h"
#include "net/ip_address.h"
#include "runtime/dns_stub.h"
#include "runtime/inspector_process.h"
#include "runtime/loopback_pair.h"
#include "runtime/peer_process.h"
#include "runtime/policy_learner.h"
#include "runtime/proxy_refusal.h"
#include "runtime/resolver.h"

namespace sbx::run {

namespace {

constexpr std::size_t kMaxHead = 16 * 1024;
constexpr int kSpareThreads = 2;                      // threads left waiting in accept when connections end
constexpr int kMaxIdentifying = 4;                    // threads placing new clients, beyond the connections'
constexpr auto kDrainTime = std::chrono::seconds(2);  // for what clients sent before the sandbox ended
constexpr auto kHeadTime = std::chrono::seconds(10);  // for a whole request head: idle ones hold a connection
constexpr int kListenBacklog = 64;
// The threads' stacks: address space, but the threads are many (two a connection) and do little.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kStackScale = 4;
#else
constexpr std::size_t kStackScale = 1;
#endif
constexpr std::size_t kServeStack = kStackScale * 512 * 1024, kRelayStack = kStackScale * 128 * 1024;

// Starts `body` on a thread with a `stackBytes` stack, detached unless `joinable` receives it;
// false when no thread could be made.
bool spawn(std::function<void()> body, std::size_t stackBytes, pthread_t* joinable = nullptr) {
  auto owned = std::make_unique<std::function<void()>>(std::move(body));
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, stackBytes);
  if (!joinable) pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  int error = pthread_create(
      &thread, &attributes,
      [](void* argument) -> void* {
        std::unique_ptr<std::function<void()>> run(static_cast<std::function<void()>*>(argument));
        (*run)();
        return nullptr;
      },
      owned.get());
  pthread_attr_destroy(&attributes);
  if (error != 0) return false;
  owned.release();  // the thread's now
  if (joinable) *joinable = thread;
  return true;
}

// The proxy's socket buffers, on both ends of every connection, before either carries data.
void boundBuffers(int fd) {
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kProxySocketBuffer, sizeof kProxySocketBuffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kProxySocketBuffer, sizeof kProxySocketBuffer);
}

// RFC 9110 5.6.2's token: what a header name is made of.
constexpr const char* kTokenCharacters =
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// Headers the client does not pass on: the proxy's own, and those that would keep the upstream
// connection open or switch it to another protocol.
constexpr std::string_view kProxyOwnedHeaders[] = {
    "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization", "upgrade", "te"};

struct Request {
  bool tunnel = false;     // CONNECT
  bool bracketed = false;  // the host was written [...]
  std::string host;        // a name or an address literal, without brackets
  std::uint16_t port = 0;
  std::string upstreamHead;  // plain HTTP: the request as the origin server gets it
};

std::optional<std::uint16_t> parsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "host:port", "[v6]:port", or "host" with `defaultPort`.
bool splitAuthority(std::string_view authority, std::uint16_t defaultPort, Request& r) {
  std::string_view portText;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    r.host = std::string(authority.substr(1, close - 1));
    r.bracketed = true;
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      portText = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.rfind(':');
    r.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
  }
  auto port = portText.empty() ? std::optional<std::uint16_t>(defaultPort) : parsePort(portText);
  if (!port || r.host.empty() || !*port) return false;
  r.port = *port;
  return true;
}

// The request line and headers of `head` (up to and including the blank line); nullopt, with
// `why` when a head of plain HTTP is refused for what it would make a server read.
std::optional<Request> parseRequest(std::string_view head, std::string& why) {
  auto lineEnd = head.find("\r\n");
  std::string_view line = head.substr(0, lineEnd);
  auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (!version.starts_with("HTTP/1.")) return std::nullopt;
  Request r;
  if (method == "CONNECT") {
    r.tunnel = true;
    if (!splitAuthority(target, 0, r)) return std::nullopt;
    return r;
  }
  if (!target.starts_with("http://")) return std::nullopt;  // HTTPS goes through CONNECT
  target.remove_prefix(7);
  auto slash = target.find('/');
  std::string_view authority = target.substr(0, slash),
                   path = slash == std::string_view::npos ? "/" : target.substr(slash);
  if (!splitAuthority(authority, 80, r)) return std::nullopt;
  // The head an origin server reads is the one the rules judged: no byte a lenient server splits
  // lines at (a lone CR or LF) or stops at (NUL; one in the host is refused with the host's
  // reason), no folded line, no header name that is not a token.
  for (std::size_t i = 0; i < head.size(); ++i) {
    bool loneCr = head[i] == '\r' && (i + 1 == head.size() || head[i + 1] != '\n');
    bool loneLf = head[i] == '\n' && (i == 0 || head[i - 1] != '\r');
    bool nulOutsideHost = head[i] == '\0' && (i >= lineEnd || path.find('\0') != std::string_view::npos);
    if (nulOutsideHost || loneCr || loneLf) {
      why = "the request head has a NUL, or a CR or LF that is not part of a CRLF";
      return std::nullopt;
    }
  }
  // The origin server gets the path form, without the proxy's own headers. Host and the connection's
  // options are the proxy's (written in serve): the rules matched the request's URI, so that is
  // the host the server is asked for (RFC 9112 3.2.2), and the connection closes after this one
  // request, so no second request, for another host behind the same address, follows it.
  r.upstreamHead = fmt::format("{} {} {}\r\n", method, path, version);
  for (std::string_view rest = head.substr(lineEnd + 2); rest.size() > 2;) {
    std::string_view header = rest.substr(0, rest.find("\r\n") + 2);
    rest.remove_prefix(header.size());
    auto colon = header.find(':');
    std::string_view name = header.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() ||
        name.find_first_not_of(kTokenCharacters) != std::string_view::npos) {
      why = "a header line is folded, has no `:`, or its name is not a token";
      return std::nullopt;
    }
    std::string lowerName;
    for (char c : name) lowerName += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(std::begin(kProxyOwnedHeaders), std::end(kProxyOwnedHeaders), lowerName) ==
        std::end(kProxyOwnedHeaders))
      r.upstreamHead += header;
  }
  return r;
}

// Puts `r.host` in the one form that rules and resolver both read: an IPv6 literal in brackets,
// an IPv4 dotted quad, or a canonical host name (net/host_name.h, the compiler's check of the
// policy's names). A name the resolver would read differently from the rules (a NUL where it
// stops, a byte it folds or decodes) never reaches either. False with `why` otherwise.
bool canonicalHost(Request& r, std::string& why) {
  // The spellings the compiler refuses in a policy (net/address_spelling.h), refused here too.
  if (auto refused = net::refusedAddressSpelling(r.host)) {
    why = fmt::format("`{}` {}", printableHostText(r.host), refused->why);
    return false;
  }
  if (r.bracketed) {
    if (auto address = net::IpAddress::parse(r.host); address && address->family == 6) return true;
    why = fmt::format("`[{}]` is not an IPv6 address", printableHostText(r.host));
    return false;
  }
  if (auto address = net::IpAddress::parse(r.host); address && address->family == 4) return true;
  auto name = canonicalHostName(r.host, why);
  if (!name) {
    why = fmt::format("host name `{}` {}", printableHostText(r.host), why);
    return false;
  }
  r.host = std::move(*name);
  return true;
}

bool sendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// A request the proxy cannot read as one (RFC 9209: http_request_error).
Refusal badRequest(const std::string& why, const std::string& destination) {
  return {400, "Bad Request", "http_request_error", why, destination};
}

// The policy line behind an egress rule, as its author wrote it.
std::string ruleText(const EgressRule& rule) {
  return fmt::format("connect \"{}\"{}", rule.destination,
                     rule.tool.empty() ? "" : fmt::format(" (of tool {})", rule.tool));
}

// For a client refused a destination: the rule of another tool that names it, which only that
// tool's processes may use; empty when no tool's rule does.
std::string anotherToolsRule(const EgressRules& rules, const std::string& host, std::uint16_t port,
                             const std::string& tool) {
  for (const auto& other : rules.toolsWithRules())
    if (other != tool)
      if (const EgressRule* r = rules.matchName(host, port, other); r && !r->tool.empty())
        return ruleText(*r) + ", for that tool's processes alone";
  return "";
}

// Copies `from` to `to` through a pipe with splice(2) until `from` ends; returns the bytes moved.
// Never SPLICE_F_MORE: it corks the socket, and TCP then holds the last partial segment of each
// splice until more data comes or its probe timer fires, about 200 ms later, so every message
// that ends a flight (a TLS handshake message, a request, a reply) would wait that long. It
// bought no throughput either (docs/egress.md).
std::uint64_t relay(int from, int to) {
  int pipe[2];
  std::uint64_t moved = 0;
  if (pipe2(pipe, O_CLOEXEC) != 0) return 0;
  fcntl(pipe[1], F_SETPIPE_SZ, kProxyPipeBytes);
  for (;;) {
    ssize_t in = splice(from, nullptr, pipe[1], nullptr, kProxyPipeBytes, SPLICE_F_MOVE);
    if (in < 0 && errno == EINTR) continue;
    if (in <= 0) break;
    while (in > 0) {
      ssize_t out = splice(pipe[0], nullptr, to, nullptr, static_cast<std::size_t>(in), SPLICE_F_MOVE);
      if (out < 0 && errno == EINTR) continue;
      if (out <= 0) goto done;
      in -= out;
      moved += static_cast<std::uint64_t>(out);
    }
  }
done:
  shutdown(to, SHUT_WR);
  shutdown(from, SHUT_RD);
  ::close(pipe[0]);
  ::close(pipe[1]);
  return moved;
}

int connectTo(const IpAddress& address, std::uint16_t port) {
  sockaddr_storage storage{};
  socklen_t length;
  if (address.family == 4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.bytes.data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, address.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  boundBuffers(fd);  // before connect: the window it advertises follows from it
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    ::close(fd);
    return -1;
  }
  timeval none{0, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

std::vector<std::string> proxyEnvironment() {
  std::string url = fmt::format("http://{}:{}", kProxyAddress, kProxyPort);
  std::vector<std::string> env;
  for (const char* name : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"})
    env.push_back(std::string(name) + "=" + url);
  return env;
}

int listenForProxy(std::string& error) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kProxyPort);
  inet_pton(AF_INET, kProxyAddress, &address.sin_addr);
  // Accepted connections inherit the listener's buffer sizes, before their handshake, and its
  // congestion control: every one of them is a hop on the sandbox's loopback.
  if (fd >= 0) {
    boundBuffers(fd);
    preferLoopbackCongestionControl(fd);
  }
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, kListenBacklog) != 0) {
    error = fmt::format("egress proxy: listen on {}:{}: {}", kProxyAddress, kProxyPort, std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

EgressProxy::EgressProxy(int listener, EgressRules rules, AuditLog& audit, pid_t sandboxInit,
                         const plan::Limits& limits, std::string task, PolicyLearner* learner,
                         InspectorProcess* inspector)
    : listener_(listener),
      task_(std::move(task)),
      rules_(std::move(rules)),
      learner_(learner),
      inspector_(inspector),
      audit_(audit),
      sandboxInit_(sandboxInit),
      capacity_(limits.memoryBytes.value_or(0), rules_.toolsWithRules()) {
  learned_.kind = EgressRule::Kind::Any;
  learned_.destination = "learned by sbx-run --learn";
}

EgressProxy::~EgressProxy() {
  stop();
}

void EgressProxy::start() {
  std::lock_guard lock(mutex_);
  started_ = true;
  startThread();
}

void EgressProxy::startThread() {
  // Enough for every admitted connection, the clients being placed, and those waiting in accept;
  // past that (or with no thread to spare) the busy ones accept again when they are done.
  if (threads_ >= capacity_.limit() + kMaxIdentifying + kSpareThreads) return;
  if (!spawn([this] { acceptLoop(); }, kServeStack)) return;
  ++threads_;
  ++waiting_;
}

std::string EgressProxy::clientTool(int client) const {
  if (!rules_.hasToolRules()) return "";
  auto holders = peerExecutables(client, sandboxInit_);
  if (!holders || holders->empty()) return "";
  std::string tool = rules_.toolOf(holders->front());
  for (const auto& exe : *holders)
    if (rules_.toolOf(exe) != tool) return "";
  return tool;
}

void EgressProxy::stop() {
  std::unique_lock lock(mutex_);
  if (!started_ || stopping_) return;
  stopping_ = true;
  shutdown(listener_, SHUT_RDWR);  // wakes every thread waiting in accept
  // Nothing can reach the sandbox's end of a connection any more, but what a client sent before
  // it went is delivered, as the kernel would for a connection of its own: the replies' direction
  // ends now, the requests' direction runs to the end of what was queued.
  for (auto [fd, upstream] : open_)
    if (upstream) shutdown(fd, SHUT_RD);
  auto done = [this] { return threads_ == 0; };
  if (!finished_.wait_for(lock, kDrainTime, done))
    for (auto [fd, upstream] : open_) shutdown(fd, SHUT_RDWR);
  finished_.wait(lock, done);
  ::close(listener_);
}

void EgressProxy::track(int fd, bool add, bool upstream) {
  std::lock_guard lock(mutex_);
  if (add && stopping_) shutdown(fd, SHUT_RDWR);
  if (add)
    open_.emplace(fd, upstream);
  else
    open_.erase(fd);
}

void EgressProxy::acceptLoop() {
  // splice(2) has no MSG_NOSIGNAL: writing to a connection its client or server has closed raises
  // SIGPIPE, which would kill the launcher. Blocked, it stays pending on this thread (and on the
  // relay threads it starts) and the write fails with EPIPE.
  sigset_t pipeSignal;
  sigemptyset(&pipeSignal);
  sigaddset(&pipeSignal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipeSignal, nullptr);
  std::unique_lock lock(mutex_, std::defer_lock);
  for (;;) {
    int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    int acceptError = errno;
    lock.lock();
    if (client < 0) {
      if (!stopping_ && (acceptError == EINTR || acceptError == ECONNABORTED)) {
        lock.unlock();
        continue;
      }
      --waiting_;  // the listener was shut down, or cannot accept
      break;
    }
    if (--waiting_ == 0 && !stopping_) startThread();  // someone must be in accept
    lock.unlock();
    // Who is asking decides whose share the connection takes (proxy_capacity.h): the task's
    // clients cannot take what is kept for its tools.
    std::string tool = clientTool(client);
    lock.lock();
    bool admitted = !stopping_ && capacity_.admit(tool);
    lock.unlock();
    if (admitted) {
      serve(client, tool);
    } else {
      sendAll(client,
              refusalResponse({503, "Service Unavailable", "connection_limit_reached",
                               fmt::format("the task's connections through the proxy are all in use ({} at "
                                           "most{})",
                                           capacity_.limit(),
                                           tool.empty() && rules_.hasToolRules() ? ", some kept for its tools" : "")},
                              task_, tool));
      // What the client sent already is read, without waiting: closed with it unread, the socket
      // would reset the connection, and the client might lose the answer.
      shutdown(client, SHUT_WR);
      for (char discard[4096]; recv(client, discard, sizeof discard, MSG_DONTWAIT) > 0;) {
      }
      ::close(client);
    }
    lock.lock();
    if (admitted) capacity_.release(tool);
    if (stopping_ || waiting_ >= kSpareThreads) break;
    ++waiting_;
    lock.unlock();
  }
  --threads_;
  finished_.notify_all();
}

// --learn: the first address a policy line could allow, recorded with that line; null when none
// can (link-local, metadata and non-unicast addresses stay refused even while learning).
const IpAddress* EgressProxy::learnAddress(const std::vector<IpAddress>& addresses, std::uint16_t port) {
  for (const auto& a : addresses) {
    std::string destination = addressDestination(a, port);
    if (destination.empty()) continue;
    learner_->destination(destination);
    return &a;
  }
  return nullptr;
}

void EgressProxy::serve(int client, const std::string& toolAtAccept) {
  track(client, true);
  boundBuffers(client);
  std::string buffer;
  std::size_t headEnd = std::string::npos;
  char chunk[4096];
  bool timedOut = false;
  for (auto deadline = std::chrono::steady_clock::now() + kHeadTime;
       (headEnd = buffer.find("\r\n\r\n")) == std::string::npos && buffer.size() < kMaxHead;) {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    timeval timeout{static_cast<time_t>(left.count() / 1000000), static_cast<suseconds_t>(left.count() % 1000000)};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ssize_t n = recv(client, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    timedOut = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  auto finish = [&](int upstream) {
    track(client, false);
    ::close(client);
    if (upstream >= 0) {
      track(upstream, false);
      ::close(upstream);
    }
  };
  // Tools' destinations are for their own processes: who is asking? Every process that holds the
  // client's socket, at accept and again now that the head is complete, must run the same tool's
  // executable. The socket carries nothing of its creator, and a descriptor moves between processes
  // (inherited, SCM_RIGHTS, pidfd_getfd): a process of the agent that connected and handed the
  // socket to a tool's process holds it at accept, one that completes the head holds it now.
  // Not seen: a descriptor only in flight in a UNIX socket's queue at both looks, its writer
  // having let go before the second (a race; docs/egress.md says what would close it).
  std::string tool = clientTool(client) == toolAtAccept ? toolAtAccept : "";
  auto refuse = [&](const Refusal& refusal) {
    sendAll(client, refusalResponse(refusal, task_, tool));
    nlohmann::ordered_json line{{"destination", refusal.destination}, {"verdict", "refused"}, {"reason", refusal.why}};
    if (!tool.empty()) line["tool"] = tool;
    audit_.event("egress", line);
    finish(-1);
  };
  std::optional<Request> request;
  std::string badHead;
  if (headEnd != std::string::npos) request = parseRequest(std::string_view(buffer).substr(0, headEnd + 4), badHead);
  if (!request && !badHead.empty()) return refuse(badRequest(badHead, ""));
  if (!request && timedOut)
    return refuse({408, "Request Timeout", "http_request_error", "no complete request head within 10 seconds"});
  if (!request) return refuse(badRequest("not an HTTP proxy request (CONNECT host:port, or GET http://...)", ""));
  // The host is checked before any rule sees it or any name is resolved.
  std::string badHost;
  if (!canonicalHost(*request, badHost))
    return refuse(badRequest(badHost, fmt::format("{}:{}", printableHostText(request->host), request->port)));
  std::string destination = fmt::format("{}:{}", request->host, request->port);
  if (!request->tunnel)
    request->upstreamHead +=
        fmt::format("Host: {}{}{}{}\r\nConnection: close\r\n\r\n", request->bracketed ? "[" : "", request->host,
                    request->bracketed ? "]" : "", request->port == 80 ? "" : fmt::format(":{}", request->port));

  const EgressRule* byName = rules_.matchName(request->host, request->port, tool);
  if (!byName && learner_) {  // --learn: the line that would allow it, and on
    learner_->destination(policyDestination(request->host, request->port));
    byName = &learned_;
  }
  if (!byName)
    return refuse({403, "Forbidden", "http_request_denied", destination + " is not on the task's egress allowlist",
                   destination, anotherToolsRule(rules_, request->host, request->port, tool),
                   fmt::format("connect \"{}\"", policyDestination(request->host, request->port))});
  if (auto why = refusedAsDns(request->port))  // before any name is resolved
    return refuse({403, "Forbidden", "http_request_denied", *why, destination, ruleText(*byName), ""});
  std::string resolveError;
  std::vector<IpAddress> addresses = resolveHost(request->host, resolveError);
  if (addresses.empty()) return refuse({502, "Bad Gateway", "dns_error", resolveError, destination});
  std::optional<std::string> refusal;
  const IpAddress* chosen = nullptr;
  const IpAddress* refused = nullptr;
  for (const auto& a : addresses) {
    auto why = rules_.refuseAddress(a, request->port, byName, tool);
    if (!why) {
      chosen = &a;
      break;
    }
    if (!refusal) {
      refusal = why;
      refused = &a;
    }
  }
  if (!chosen && learner_) chosen = learnAddress(addresses, request->port);
  if (!chosen)
    return refuse({403, "Forbidden", "destination_ip_prohibited", *refusal, destination, ruleText(*byName),
                   addressFix(*refused, request->port)});
  int upstream = connectTo(*chosen, request->port);
  if (upstream < 0)
    return refuse({502, "Bad Gateway", errno == ECONNREFUSED ? "connection_refused" : "destination_unavailable",
                   fmt::format("cannot connect to {}: {}", chosen->text(), std::strerror(errno)), destination});
  track(upstream, true, true);
  timeval none{0, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  // The relay passes on the segments the two ends wrote; Nagle's delay is theirs to choose.
  int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  // What the client sent past the head (a TLS ClientHello, a request body) goes first.
  std::string_view early = std::string_view(buffer).substr(headEnd + 4);
  // A host:port that request rules name: the inspector judges each request (inspector_process.h).
  // It gets the tunnel before "200 Connection established", or the plain request as sent.
  if (inspector_ && inspector_->inspects(request->host, request->port)) {
    bool handed = inspector_->handOver(tool, request->host, request->port, request->tunnel,
                                       request->tunnel ? early : std::string_view(buffer), client, upstream);
    nlohmann::ordered_json line{{"destination", destination},
                                {"address", chosen->text()},
                                {"verdict", handed ? "inspected" : "refused"},
                                {"rule", byName->destination}};
    if (!handed) line["reason"] = "the inspecting proxy is gone";
    if (!tool.empty()) line["tool"] = tool;
    audit_.event("egress", line);
    return finish(upstream);
  }
  bool ok = request->tunnel ? sendAll(client, "HTTP/1.1 200 Connection established\r\n\r\n")
                            : sendAll(upstream, request->upstreamHead);
  ok = ok && sendAll(upstream, early);
  std::uint64_t sent = early.size() + request->upstreamHead.size(), received = 0;
  pthread_t back;
  // No thread for the replies' direction: the connection ends here.
  if (ok && spawn([&] { received = relay(upstream, client); }, kRelayStack, &back)) {
    sent += relay(client, upstream);
    pthread_join(back, nullptr);
  }
  nlohmann::ordered_json line{
      {"destination", destination}, {"address", chosen->text()}, {"verdict", "allowed"}, {"rule", byName->destination}};
  if (!tool.empty()) line["tool"] = tool;
  line["bytesSent"] = sent;
  line["bytesReceived"] = received;
  audit_.event("egress", line);
  finish(upstream);
}

}  // namespace sbx::run
