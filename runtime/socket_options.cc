#include "runtime/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cstddef>

namespace sbx::run {

namespace {

struct Option {
  int level, name;
  std::size_t size;
};

constexpr std::array kCarried = {
    Option{SOL_SOCKET, SO_KEEPALIVE, sizeof(int)},
    Option{SOL_SOCKET, SO_LINGER, sizeof(linger)},
    Option{SOL_SOCKET, SO_RCVTIMEO, sizeof(timeval)},
    Option{SOL_SOCKET, SO_SNDTIMEO, sizeof(timeval)},
    Option{SOL_SOCKET, SO_OOBINLINE, sizeof(int)},
    Option{SOL_SOCKET, SO_PRIORITY, sizeof(int)},
    Option{IPPROTO_TCP, TCP_NODELAY, sizeof(int)},
    Option{IPPROTO_TCP, TCP_KEEPIDLE, sizeof(int)},
    Option{IPPROTO_TCP, TCP_KEEPINTVL, sizeof(int)},
    Option{IPPROTO_TCP, TCP_KEEPCNT, sizeof(int)},
    Option{IPPROTO_TCP, TCP_USER_TIMEOUT, sizeof(int)},
    Option{IPPROTO_TCP, TCP_CORK, sizeof(int)},
    Option{IPPROTO_TCP, TCP_QUICKACK, sizeof(int)},
    Option{IPPROTO_IP, IP_TOS, sizeof(int)},
    Option{IPPROTO_IP, IP_TTL, sizeof(int)},
    Option{IPPROTO_IPV6, IPV6_V6ONLY, sizeof(int)},
    Option{IPPROTO_IPV6, IPV6_TCLASS, sizeof(int)},
};

}  // namespace

void copySocketOptions(int from, int to) {
  for (const Option& o : kCarried) {
    alignas(std::max_align_t) unsigned char value[32] = {};
    socklen_t size = static_cast<socklen_t>(o.size);
    if (getsockopt(from, o.level, o.name, value, &size) == 0 && size == o.size)
      setsockopt(to, o.level, o.name, value, size);
  }
}

}  // namespace sbx::run
