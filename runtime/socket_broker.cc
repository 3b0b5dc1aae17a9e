#include "runtime/socket_broker.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "net/ip_address.h"
#include "runtime/dns_stub.h"
#include "runtime/loopback_pair.h"
#include "runtime/remote_memory.h"
#include "runtime/socket_options.h"
#include "runtime/unix_path_call.h"

namespace sbx::run {

namespace {

constexpr std::size_t kMaxSendBytes = std::size_t{256} << 10;  // per sendto the supervisor makes

struct Destination {
  IpAddress address;
  std::uint16_t port = 0;
  std::string text() const {
    return address.family == 6 ? fmt::format("[{}]:{}", address.text(), port)
                               : fmt::format("{}:{}", address.text(), port);
  }
};

std::optional<Destination> inetDestination(const sockaddr_storage& name, socklen_t size) {
  if (name.ss_family == AF_INET && size >= sizeof(sockaddr_in)) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(name);
    auto address = IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&name));
    if (address) return Destination{address->unmapped(), ntohs(in.sin_port)};
  }
  if (name.ss_family == AF_INET6 && size >= sizeof(sockaddr_in6)) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(name);
    auto address = IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&name));
    if (address) return Destination{address->unmapped(), ntohs(in6.sin6_port)};
  }
  return std::nullopt;
}

bool isLoopback(const IpAddress& a) {
  if (a.family == 4) return a.bytes[0] == 127;
  static const IpAddress one = *IpAddress::parse("::1");
  return a == one;
}

bool isUnixPath(const sockaddr_storage& name, socklen_t size) {
  const auto& un = reinterpret_cast<const sockaddr_un&>(name);
  return name.ss_family == AF_UNIX && size > offsetof(sockaddr_un, sun_path) && un.sun_path[0] != '\0';
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

// The network namespace `fd` was made in, as the kernel names it (Linux 5.14); 0 when unknown.
std::uint64_t netnsCookie(int fd) {
  std::uint64_t cookie = 0;
  socklen_t size = sizeof cookie;
  return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &size) == 0 ? cookie : 0;
}

// The launcher's own network namespace, where every host socket is made.
std::uint64_t hostNetnsCookie() {
  static const std::uint64_t cookie = [] {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    std::uint64_t c = fd >= 0 ? netnsCookie(fd) : 0;
    if (fd >= 0) ::close(fd);
    return c;
  }();
  return cookie;
}

// Where a connect started without waiting stands now: 0 (connected), its error, or EINPROGRESS.
// One call: TCP_INFO's first byte is the state, and a loopback or nearby peer has answered by the
// time connect(2) returns.
int connectStateNow(int host) {
  std::uint8_t state = TCP_CLOSE;
  socklen_t size = sizeof state;
  if (getsockopt(host, IPPROTO_TCP, TCP_INFO, &state, &size) != 0) return errno;
  if (state == TCP_SYN_SENT) return EINPROGRESS;
  if (state != TCP_CLOSE) return 0;  // established, or since closed by the peer: the caller reads that
  int error = 0;
  size = sizeof error;
  return getsockopt(host, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error ? error : ECONNREFUSED;
}

void answer(int listener, std::uint64_t id, long result) {
  seccomp_notif_resp response{};
  response.id = id;
  if (result < 0)
    response.error = static_cast<int>(result);
  else
    response.val = result;
  response.flags = 0;  // never SECCOMP_USER_NOTIF_FLAG_CONTINUE (socket_broker.h)
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

}  // namespace

struct SocketBroker::Held {
  int listener = -1;
  std::uint64_t id = 0;
  pid_t tid = 0, tgid = 0;
  std::uint32_t nr = 0;
  std::uint64_t args[6] = {};
  int socket = -1;  // the supervisor's duplicate of the caller's descriptor args[0]
  int domain = -1, type = -1, protocol = -1;
  // Made in the launcher's network namespace: a socket the broker installed (a connected TCP
  // socket, a loopback pair's end, a UDP flow), since every other socket of the sandbox was made
  // in its own namespace. Its one destination is fixed: no connect, disconnect or bind.
  bool hostSocket = false;
  // The caller's descriptor as /proc shows it (O_NONBLOCK, O_CLOEXEC): how a replacement is
  // installed. Read by the supervisor's thread before a worker takes the call.
  long long callerFlags = 0;
  sockaddr_storage name{};
  socklen_t nameSize = 0;
  std::string tool;

  bool valid() const { return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0; }
  int fd() const { return static_cast<int>(args[0]); }
  // Whether the supervisor's duplicate blocks: how the supervisor itself may call on it.
  bool blocks() const { return !(fcntl(socket, F_GETFL) & O_NONBLOCK); }
  unsigned long inode() const {
    struct stat st {};
    return fstat(socket, &st) == 0 ? st.st_ino : 0;
  }
  void reply(long result) const { answer(listener, id, result); }
  ~Held() {
    if (socket >= 0) ::close(socket);
  }
};

SocketBroker::SocketBroker(EgressRules tcp, EgressRules udp, AuditLog& audit, std::string task, uid_t uid, gid_t gid)
    : tcp_(std::move(tcp)), udp_(std::move(udp)), audit_(audit), task_(std::move(task)), uid_(uid), gid_(gid) {
  if (pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
}

SocketBroker::~SocketBroker() {
  stop();
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void SocketBroker::stop() {
  std::unique_lock lock(mutex_);
  if (!stopping_) {
    stopping_ = true;
    if (wake_[1] >= 0) ::close(wake_[1]);
    wake_[1] = -1;
  }
  for (int fd : inProgress_) shutdown(fd, SHUT_RDWR);
  for (pid_t pid : helpers_) kill(pid, SIGKILL);
  idle_.wait(lock, [this] { return workers_ == 0; });
  lock.unlock();
  relay_.stop();
}

void SocketBroker::audit(nlohmann::ordered_json line) {
  line["via"] = "socket";
  audit_.event("egress", std::move(line));
}

void SocketBroker::refuse(const Held& held, const std::string& destination, const std::string& why, int error) {
  const char* call = held.nr == SYS_connect ? "connect" : held.nr == SYS_bind ? "bind" : "sendto";
  nlohmann::ordered_json line{{"destination", destination},
                              {"verdict", "refused"},
                              {"syscall", call},
                              {"reason", why},
                              {"errno", error},
                              {"pid", held.tgid}};
  if (!held.tool.empty()) line["tool"] = held.tool;
  audit(std::move(line));
  std::string key = std::string(call) + destination + why;
  std::lock_guard lock(mutex_);
  if (printed_.size() < kMaxPrinted && printed_.insert(key).second)
    fmt::print(stderr, "sbx-run: {} to {} refused in task {}: {} ({})\n", call, destination, task_, why,
               std::strerror(error));
  held.reply(-error);
}

void SocketBroker::handle(int listener, const seccomp_notif& request) {
  auto held = std::make_unique<Held>();
  held->listener = listener;
  held->id = request.id;
  held->tid = static_cast<pid_t>(request.pid);
  held->nr = static_cast<std::uint32_t>(request.data.nr);
  for (int i = 0; i < 6; ++i) held->args[i] = request.data.args[i];
  held->socket = callers_.duplicate(held->tid, held->fd(), held->tgid);
  int duplicateError = errno;
  // From here on what was read belongs to the caller: its pid was not reused in between.
  std::uint64_t nameAt = held->nr == SYS_sendto ? held->args[4] : held->args[1];
  std::uint64_t nameSize = held->nr == SYS_sendto ? held->args[5] : held->args[2];
  bool nameRead = nameSize <= sizeof(sockaddr_storage) && readRemote(held->tid, nameAt, &held->name, nameSize);
  if (!held->valid()) return;
  if (held->socket < 0) return held->reply(duplicateError == EBADF ? -EBADF : -ENOTSOCK);
  if (nameSize > sizeof(sockaddr_storage)) return held->reply(-EINVAL);
  if (!nameRead) return held->reply(-EFAULT);
  held->nameSize = static_cast<socklen_t>(nameSize);
  std::uint64_t netns = 0;
  OptionRead what[] = {{held->socket, SOL_SOCKET, SO_DOMAIN, &held->domain, sizeof held->domain},
                       {held->socket, SOL_SOCKET, SO_TYPE, &held->type, sizeof held->type},
                       {held->socket, SOL_SOCKET, SO_PROTOCOL, &held->protocol, sizeof held->protocol},
                       {held->socket, SOL_SOCKET, SO_NETNS_COOKIE, &netns, sizeof netns}};
  options_.read(what);
  if (what[0].error) return held->reply(-ENOTSOCK);
  held->hostSocket = what[3].error == 0 && netns == hostNetnsCookie();
  if (rulesFor(*held).hasToolRules()) held->tool = rulesFor(*held).toolOf(executableOf(held->tgid));
  if (held->nr == SYS_connect) return connectCall(*held);
  if (held->nr == SYS_bind) return bindCall(*held);
  return sendtoCall(*held);
}

const EgressRules& SocketBroker::rulesFor(const Held& held) const {
  return held.type == SOCK_DGRAM ? udp_ : tcp_;
}

std::optional<std::string> SocketBroker::refusal(const Held& held, const IpAddress& address, std::uint16_t port) const {
  const EgressRules& rules = rulesFor(held);
  const EgressRule* rule = matchResolved(rules, names_, address, port, held.tool);
  auto why = rules.refuseAddress(address, port, rule, held.tool);
  return why ? why : refusedAsDns(port);  // a loopback one then stays in the sandbox
}

template <typename Work>
bool SocketBroker::onWorker(Held& held, Work work) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || workers_ >= kMaxWorkers) {
      held.reply(-EAGAIN);
      return false;
    }
    ++workers_;
    inProgress_.insert(held.socket);
  }
  auto moved = std::make_shared<Held>();
  *moved = held;  // the worker owns the duplicate now
  held.socket = -1;
  std::thread([this, moved, work] {
    work(*moved);
    std::lock_guard lock(mutex_);
    inProgress_.erase(moved->socket);
    if (--workers_ == 0) idle_.notify_all();
  }).detach();
  return true;
}

void SocketBroker::connectCall(Held& held) {
  const sockaddr* name = reinterpret_cast<const sockaddr*>(&held.name);
  if (held.hostSocket) {  // its one destination is connected already: nothing else, and no disconnecting
    if (held.nameSize >= sizeof(sa_family_t) && held.name.ss_family == AF_UNSPEC)
      return refuse(held, "AF_UNSPEC", "a brokered socket may not be disconnected", EACCES);
    return held.reply(-EISCONN);
  }
  bool inet = held.domain == AF_INET || held.domain == AF_INET6;
  auto destination = inet ? inetDestination(held.name, held.nameSize) : std::nullopt;
  bool transport = (held.type == SOCK_STREAM && held.protocol == IPPROTO_TCP) ||
                   (held.type == SOCK_DGRAM && held.protocol == IPPROTO_UDP);
  if (destination && transport) {
    auto why = refusal(held, destination->address, destination->port);
    if (!why) {
      if (held.type == SOCK_DGRAM) {
        if (brokerUdp(held, held.name, held.nameSize)) held.reply(0);  // else answered, or gone
        return;
      }
      return brokerTcp(held, !inspected_.empty() && inspected_.count({destination->address.text(), destination->port}));
    }
    if (!isLoopback(destination->address)) return refuse(held, destination->text(), *why, ECONNREFUSED);
  }
  // The sandbox's own network: its loopback (the proxy, the task's own servers), UNIX sockets.
  if (isUnixPath(held.name, held.nameSize) && held.domain == AF_UNIX)
    return unixPathOnWorker(held, UnixPathCall::Kind::Connect);
  if (!held.blocks())  // returns at once (EINPROGRESS, EAGAIN)
    return held.reply(connect(held.socket, name, held.nameSize) == 0 ? 0 : -errno);
  onWorker(held, [](Held& h) {
    h.reply(connect(h.socket, reinterpret_cast<const sockaddr*>(&h.name), h.nameSize) == 0 ? 0 : -errno);
  });
}

void SocketBroker::unixPathOnWorker(Held& held, UnixPathCall::Kind kind, std::string bytes, int flags) {
  onWorker(held, [this, kind, bytes = std::move(bytes), flags](Held& h) {
    UnixPathCall call;
    call.kind = kind;
    call.caller = h.tgid;
    call.uid = uid_;
    call.gid = gid_;
    call.socket = h.socket;
    std::memcpy(&call.address, &h.name, sizeof call.address);
    call.length = h.nameSize;
    call.bytes = bytes;
    call.flags = flags;
    call.stillHeld = [&h] { return h.valid(); };
    h.reply(makeUnixPathCall(call, [this](pid_t p) { trackHelper(p); }));
  });
}

void SocketBroker::trackHelper(pid_t pid) {
  thread_local pid_t mine = 0;  // the helper of this worker
  std::lock_guard lock(mutex_);
  if (pid) {
    helpers_.insert(pid);
    if (stopping_) kill(pid, SIGKILL);
  } else {
    helpers_.erase(mine);
  }
  mine = pid ? pid : 0;
}

int SocketBroker::startOnHost(const Held& held) {
  int host = socket(held.domain, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
  if (host < 0) return -errno;
  copySocketOptions(held.socket, host, held.domain, options_);
  if (connect(host, reinterpret_cast<const sockaddr*>(&held.name), held.nameSize) != 0 && errno != EINPROGRESS) {
    int error = errno;
    ::close(host);
    return -error;
  }
  return host;
}

int SocketBroker::connectedWithin(int host, int milliseconds) {
  pollfd ready[2] = {{host, POLLOUT, 0}, {wake_[0], POLLIN, 0}};
  int n;
  do n = poll(ready, 2, milliseconds);
  while (n < 0 && errno == EINTR);
  if (n == 0) return ETIMEDOUT;
  if (ready[1].revents) return ECONNABORTED;  // the run is ending
  int error = 0;
  socklen_t length = sizeof error;
  return getsockopt(host, SOL_SOCKET, SO_ERROR, &error, &length) == 0 ? error : errno;
}

void SocketBroker::brokerTcp(Held& held, bool inspected) {
  held.callerFlags = callers_.flags(held.tgid, held.fd());
  int host = startOnHost(held);
  if (host < 0) return finishTcp(held, host, -host, inspected);
  // A loopback or nearby peer has answered by the time connect(2) returns: installed at once,
  // without a worker's thread (a thread's start costs more than the whole connect here).
  int error = inspected ? EINPROGRESS : connectStateNow(host);
  if (error != EINPROGRESS) return finishTcp(held, host, error, inspected);
  if (!onWorker(held, [this, host, inspected](Held& h) {
        finishTcp(h, host, connectedWithin(host, kConnectTimeoutSeconds * 1000), inspected);
      }))
    ::close(host);
}

void SocketBroker::finishTcp(Held& held, int host, int error, bool inspected) {
  if (error != 0) {
    if (host >= 0) ::close(host);
    held.reply(-error);
    audit({{"destination", inetDestination(held.name, held.nameSize)->text()},
           {"verdict", "allowed"},
           {"connected", false},
           {"errno", error}});
    return;
  }
  bool nonBlocking = held.callerFlags & O_NONBLOCK;
  if (inspected) {  // the caller gets the near end of a loopback pair, the inspector the rest
    auto target = inetDestination(held.name, held.nameSize);
    fcntl(host, F_SETFL, 0);  // the inspector reads it blocking
    auto pair = loopbackPair(held.domain);
    bool handed = pair && handOver_ && handOver_(held.tool, target->address.text(), target->port, pair->far, host);
    ::close(host);
    if (pair) ::close(pair->far);
    if (!handed) {
      if (pair) ::close(pair->near);
      return refuse(held, target->text(), "the inspecting proxy, which judges its requests, is not running",
                    ECONNREFUSED);
    }
    SocketOptionReader oneByOne(false);  // a worker's: the ring is the supervisor thread's
    copySocketOptions(held.socket, pair->near, held.domain, oneByOne);
    host = pair->near;
    if (nonBlocking) fcntl(host, F_SETFL, O_NONBLOCK);
  } else if (!nonBlocking) {
    fcntl(host, F_SETFL, 0);  // made non-blocking by startOnHost, which sets no other status flag
  }
  seccomp_notif_addfd install{};
  install.id = held.id;
  install.flags = SECCOMP_ADDFD_FLAG_SETFD;
  install.srcfd = static_cast<std::uint32_t>(host);
  install.newfd = static_cast<std::uint32_t>(held.fd());
  install.newfd_flags = (held.callerFlags & O_CLOEXEC) ? O_CLOEXEC : 0;
  bool installed = ioctl(held.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &install) >= 0;
  ::close(host);
  if (!installed) return;
  if (audit_.enabled()) {
    nlohmann::ordered_json line{{"destination", inetDestination(held.name, held.nameSize)->text()},
                                {"verdict", inspected ? "inspected" : "allowed"},
                                {"connected", true},
                                {"pid", held.tgid}};
    if (!held.tool.empty()) line["tool"] = held.tool;
    audit(std::move(line));
  }
  // Last: the answer hands this CPU to the caller (synchronous wake-up); work left after it
  // waits for the caller or moves to the other CPU, and measured slower (bench/egress_peers.sh).
  held.reply(0);
}

unsigned long SocketBroker::brokerUdp(Held& held, const sockaddr_storage& destination, socklen_t size) {
  std::string where = inetDestination(destination, size)->text();
  auto flow = relay_.open(held.domain, destination, size);
  if (!flow) {
    held.reply(-errno);
    return 0;
  }
  long long callerFlags = callers_.flags(held.tgid, held.fd());
  if (callerFlags & O_NONBLOCK) fcntl(flow->sandboxEnd, F_SETFL, O_NONBLOCK);
  seccomp_notif_addfd install{};
  install.id = held.id;
  install.flags = SECCOMP_ADDFD_FLAG_SETFD;
  install.srcfd = static_cast<std::uint32_t>(flow->sandboxEnd);
  install.newfd = static_cast<std::uint32_t>(held.fd());
  install.newfd_flags = (callerFlags & O_CLOEXEC) ? O_CLOEXEC : 0;
  bool installed = ioctl(held.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &install) >= 0;
  ::close(flow->sandboxEnd);  // the relay sees the flow end once the sandbox's copy goes too
  if (!installed) return 0;
  nlohmann::ordered_json line{{"destination", where}, {"verdict", "allowed"}, {"protocol", "udp"}, {"pid", held.tgid}};
  if (!held.tool.empty()) line["tool"] = held.tool;
  audit(std::move(line));
  return flow->inode;
}

void SocketBroker::bindCall(Held& held) {
  if (held.hostSocket) return refuse(held, "a local address", "a brokered socket serves nothing on the host", EACCES);
  if (isUnixPath(held.name, held.nameSize) && held.domain == AF_UNIX)
    return unixPathOnWorker(held, UnixPathCall::Kind::Bind);
  held.reply(bind(held.socket, reinterpret_cast<const sockaddr*>(&held.name), held.nameSize) == 0 ? 0 : -errno);
}

// The bytes of a sendto, read once; an error (-errno) when they cannot be.
long SocketBroker::readPayload(Held& held, std::string& bytes, bool datagram) {
  std::uint64_t size = held.args[2];
  if (datagram && size > kMaxSendBytes) return -EMSGSIZE;
  bytes.resize(std::min<std::uint64_t>(size, kMaxSendBytes));  // a stream send may be short
  if (!readRemote(held.tid, held.args[1], bytes.data(), bytes.size())) return -EFAULT;
  return held.valid() ? 0 : -ESRCH;
}

// What a send of the supervisor's returns to the caller, SIGPIPE included (the supervisor sends
// with MSG_NOSIGNAL: the signal is the caller's, never the launcher's).
long SocketBroker::sent(const Held& held, ssize_t n, int flags) {
  if (n >= 0) return n;
  int error = errno;
  if (error == EPIPE && !(flags & MSG_NOSIGNAL)) syscall(SYS_tgkill, held.tgid, held.tid, SIGPIPE);
  return -error;
}

void SocketBroker::sendtoCall(Held& held) {
  int flags = static_cast<int>(held.args[3]);
  std::string bytes;
  sockaddr_storage flowDestination{};
  socklen_t flowSize = 0;
  unsigned long inode = held.hostSocket ? held.inode() : 0;
  if (inode && relay_.destinationOf(inode, flowDestination, flowSize)) {  // a brokered UDP flow
    auto asked = inetDestination(held.name, held.nameSize), flow = inetDestination(flowDestination, flowSize);
    if (!asked || !flow || asked->address != flow->address || asked->port != flow->port)
      return refuse(held, asked ? asked->text() : "another address",
                    "a brokered UDP socket sends to its one destination", EACCES);
    if (long error = readPayload(held, bytes, true)) return held.reply(error);
    return held.reply(sent(held, relay_.send(inode, bytes), flags));
  }
  bool brokered = held.hostSocket;
  bool inet = held.domain == AF_INET || held.domain == AF_INET6;
  if (flags & MSG_FASTOPEN)  // TCP Fast Open is not brokered: its connect would skip the broker's
    return held.reply(brokered ? -EISCONN : -EOPNOTSUPP);
  if (held.type == SOCK_STREAM || held.type == SOCK_SEQPACKET || brokered) {
    // A connected stream ignores the address: sent as the caller asked, without it.
    onWorker(held, [this, flags](Held& h) {
      std::string data;
      if (long error = readPayload(h, data, false)) return h.reply(error);
      h.reply(sent(h, send(h.socket, data.data(), data.size(), flags | MSG_NOSIGNAL), flags));
    });
    return;
  }
  auto destination = inet ? inetDestination(held.name, held.nameSize) : std::nullopt;
  if (destination && held.type == SOCK_DGRAM && held.protocol == IPPROTO_UDP) {
    auto why = refusal(held, destination->address, destination->port);
    if (!why) {
      if (long error = readPayload(held, bytes, true)) return held.reply(error);
      // A datagram that came before the flow is sent by the supervisor itself; later ones pass the relay.
      unsigned long flow = brokerUdp(held, held.name, held.nameSize);
      if (flow) held.reply(sent(held, relay_.send(flow, bytes), flags));
      return;
    }
    if (!isLoopback(destination->address)) return refuse(held, destination->text(), *why, ECONNREFUSED);
  }
  if (long error = readPayload(held, bytes, true)) return held.reply(error);
  if (isUnixPath(held.name, held.nameSize) && held.domain == AF_UNIX)
    return unixPathOnWorker(held, UnixPathCall::Kind::Send, std::move(bytes), flags);
  held.reply(sent(held,
                  sendto(held.socket, bytes.data(), bytes.size(), flags | MSG_DONTWAIT | MSG_NOSIGNAL,
                         reinterpret_cast<const sockaddr*>(&held.name), held.nameSize),
                  flags));
}

}  // namespace sbx::run
