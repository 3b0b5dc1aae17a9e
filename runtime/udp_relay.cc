#include "runtime/udp_relay.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace sbx::run {

namespace {

constexpr std::size_t kDatagramBytes = 65536;

std::uint64_t key(unsigned long inode, bool host) {
  return (static_cast<std::uint64_t>(inode) << 1) | (host ? 1 : 0);
}

}  // namespace

UdpRelay::UdpRelay() : epoll_(epoll_create1(EPOLL_CLOEXEC)), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event e{EPOLLIN, {.u64 = 0}};  // inode 0 is no socket's: the wake-up
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &e);
  thread_ = std::thread([this] { run(); });
}

UdpRelay::~UdpRelay() {
  stop();
  for (int fd : {epoll_, wake_})
    if (fd >= 0) ::close(fd);
}

void UdpRelay::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
  thread_.join();
  std::lock_guard lock(mutex_);
  for (auto& [inode, entry] : flows_) {
    ::close(entry.relayEnd);
    ::close(entry.host);
  }
  flows_.clear();
}

std::optional<UdpRelay::Flow> UdpRelay::open(int family, const sockaddr_storage& destination, socklen_t size) {
  std::lock_guard lock(mutex_);
  if (flows_.size() >= kMaxFlows || stopping_) {
    errno = ENOBUFS;
    return std::nullopt;
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return std::nullopt;
  int host = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct stat st {};
  if (host < 0 || connect(host, reinterpret_cast<const sockaddr*>(&destination), size) != 0 ||
      fstat(pair[0], &st) != 0) {
    int saved = errno;
    for (int fd : {pair[0], pair[1], host})
      if (fd >= 0) ::close(fd);
    errno = saved;
    return std::nullopt;
  }
  Entry entry{pair[1], host, destination, size};
  epoll_event fromSandbox{EPOLLIN | EPOLLRDHUP, {.u64 = key(st.st_ino, false)}};
  epoll_event fromHost{EPOLLIN, {.u64 = key(st.st_ino, true)}};
  epoll_ctl(epoll_, EPOLL_CTL_ADD, pair[1], &fromSandbox);
  epoll_ctl(epoll_, EPOLL_CTL_ADD, host, &fromHost);
  flows_[st.st_ino] = entry;
  return Flow{pair[0], st.st_ino};
}

ssize_t UdpRelay::send(unsigned long inode, const std::string& datagram) {
  std::lock_guard lock(mutex_);
  auto it = flows_.find(inode);
  if (it == flows_.end()) {
    errno = EBADF;
    return -1;
  }
  return ::send(it->second.host, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool UdpRelay::destinationOf(unsigned long inode, sockaddr_storage& destination, socklen_t& size) {
  std::lock_guard lock(mutex_);
  auto it = flows_.find(inode);
  if (it == flows_.end()) return false;
  destination = it->second.destination;
  size = it->second.size;
  return true;
}

void UdpRelay::close(unsigned long inode) {
  std::lock_guard lock(mutex_);
  auto it = flows_.find(inode);
  if (it == flows_.end()) return;
  ::close(it->second.relayEnd);  // closing removes them from the epoll set
  ::close(it->second.host);
  flows_.erase(it);
}

void UdpRelay::run() {
  std::vector<char> datagram(kDatagramBytes);
  epoll_event events[32];
  while (!stopping_) {
    int n = epoll_wait(epoll_, events, 32, -1);
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n && !stopping_; ++i) {
      std::uint64_t k = events[i].data.u64;
      if (k == 0) continue;
      unsigned long inode = static_cast<unsigned long>(k >> 1);
      bool fromHost = k & 1;
      int from = -1, to = -1;
      {
        std::lock_guard lock(mutex_);
        auto it = flows_.find(inode);
        if (it == flows_.end()) continue;
        from = fromHost ? it->second.host : it->second.relayEnd;
        to = fromHost ? it->second.relayEnd : it->second.host;
      }
      // Every queued datagram, then the sandbox's end closing (its last reference gone) ends the flow.
      for (;;) {
        ssize_t got = recv(from, datagram.data(), datagram.size(), MSG_DONTWAIT);
        if (got < 0) break;  // EAGAIN; an ICMP error on the host socket is not the sandbox's to see
        if (got == 0 && !fromHost && (events[i].events & (EPOLLRDHUP | EPOLLHUP))) break;
        // UDP's promise and no more: a datagram the receiver has no room for is dropped.
        [[maybe_unused]] ssize_t sent =
            ::send(to, datagram.data(), static_cast<std::size_t>(got), MSG_DONTWAIT | MSG_NOSIGNAL);
      }
      if (!fromHost && (events[i].events & (EPOLLRDHUP | EPOLLHUP))) close(inode);
    }
  }
}

}  // namespace sbx::run
