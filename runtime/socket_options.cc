#include "runtime/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstring>

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
    Option{IPPROTO_IP, IP_TOS, sizeof(int)},
    Option{IPPROTO_IP, IP_TTL, sizeof(int)},
    Option{IPPROTO_IPV6, IPV6_V6ONLY, sizeof(int)},
    Option{IPPROTO_IPV6, IPV6_TCLASS, sizeof(int)},
};

struct Value {
  bool read = false;
  alignas(std::max_align_t) unsigned char bytes[32] = {};
};
using Values = std::array<Value, kCarried.size()>;

Values readOptions(int fd) {
  Values values;
  for (std::size_t i = 0; i < kCarried.size(); ++i) {
    socklen_t size = static_cast<socklen_t>(kCarried[i].size);
    values[i].read =
        getsockopt(fd, kCarried[i].level, kCarried[i].name, values[i].bytes, &size) == 0 && size == kCarried[i].size;
  }
  return values;
}

// What a fresh TCP socket of `family` holds, read once per family: an option the caller left as
// that costs no setsockopt (a connect is held while this runs; each call is about a microsecond).
const Values& freshDefaults(int family) {
  auto readFresh = [](int f) {
    int fd = socket(f, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    Values values = fd >= 0 ? readOptions(fd) : Values{};
    if (fd >= 0) ::close(fd);
    return values;
  };
  static const Values inet = readFresh(AF_INET), inet6 = readFresh(AF_INET6);
  return family == AF_INET6 ? inet6 : inet;
}

}  // namespace

void copySocketOptions(int from, int to, int family) {
  const Values& fresh = freshDefaults(family);
  for (std::size_t i = 0; i < kCarried.size(); ++i) {
    const Option& o = kCarried[i];
    if (o.level == IPPROTO_IPV6 && family != AF_INET6) continue;
    alignas(std::max_align_t) unsigned char value[32] = {};
    socklen_t size = static_cast<socklen_t>(o.size);
    if (getsockopt(from, o.level, o.name, value, &size) != 0 || size != o.size) continue;
    if (fresh[i].read && std::memcmp(value, fresh[i].bytes, o.size) == 0) continue;
    setsockopt(to, o.level, o.name, value, size);
  }
}

}  // namespace sbx::run
