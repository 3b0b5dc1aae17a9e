#include "runtime/loopback_pair.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace sbx::run {

namespace {

bool sameAddress(const sockaddr_storage& a, socklen_t aSize, const sockaddr_storage& b, socklen_t bSize) {
  return aSize == bSize && std::memcmp(&a, &b, aSize) == 0;
}

}  // namespace

std::optional<LoopbackPair> loopbackPair(int family) {
  sockaddr_storage address{};
  socklen_t size;
  if (family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = in6addr_loopback;
    size = sizeof *v6;
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size = sizeof *v4;
  }
  int listener = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return std::nullopt;
  preferLoopbackCongestionControl(listener);  // the far end inherits it
  LoopbackPair pair;
  auto fail = [&] {
    int error = errno;
    for (int fd : {listener, pair.near, pair.far})
      if (fd >= 0) close(fd);
    errno = error ? error : ECONNREFUSED;
    return std::nullopt;
  };
  // An ephemeral port, listened on for one connection: another host process could connect first,
  // so the accepted peer must be our own near end.
  socklen_t bound = size;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &bound) != 0)
    return fail();
  pair.near = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (pair.near >= 0) preferLoopbackCongestionControl(pair.near);
  if (pair.near < 0 || connect(pair.near, reinterpret_cast<sockaddr*>(&address), bound) != 0) return fail();
  sockaddr_storage nearName{}, peerName{};
  socklen_t nearSize = sizeof nearName, peerSize = sizeof peerName;
  if (getsockname(pair.near, reinterpret_cast<sockaddr*>(&nearName), &nearSize) != 0) return fail();
  pair.far = accept4(listener, reinterpret_cast<sockaddr*>(&peerName), &peerSize, SOCK_CLOEXEC);
  if (pair.far < 0) return fail();
  if (!sameAddress(nearName, nearSize, peerName, peerSize)) {
    errno = ECONNREFUSED;
    return fail();
  }
  close(listener);
  return pair;
}

void preferLoopbackCongestionControl(int fd) {
  for (std::string_view name : {"cubic", "reno"})  // Reno is always there and allowed to anyone
    if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.data(), static_cast<socklen_t>(name.size())) == 0) return;
}

}  // namespace sbx::run
