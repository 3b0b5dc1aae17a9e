#include "runtime/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <span>

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

// The table's options of `fd`, a socket of `family` (IPv6-level ones only for AF_INET6).
Values readOptions(int fd, int family, SocketOptionReader& reader) {
  Values values;
  std::array<OptionRead, kCarried.size()> reads;
  std::size_t count = 0;
  std::array<std::size_t, kCarried.size()> option{};  // reads[k] is of kCarried[option[k]]
  for (std::size_t i = 0; i < kCarried.size(); ++i) {
    if (kCarried[i].level == IPPROTO_IPV6 && family != AF_INET6) continue;
    option[count] = i;
    reads[count++] = {fd, kCarried[i].level, kCarried[i].name, values[i].bytes,
                      static_cast<socklen_t>(kCarried[i].size)};
  }
  reader.read(std::span(reads.data(), count));
  for (std::size_t k = 0; k < count; ++k)
    values[option[k]].read = reads[k].error == 0 && reads[k].size == kCarried[option[k]].size;
  return values;
}

// What a fresh TCP socket of `family` holds, read once per family: an option the caller left as
// that costs no setsockopt (a connect is held while this runs; each call is about a microsecond).
const Values& freshDefaults(int family) {
  auto readFresh = [](int f) {
    SocketOptionReader oneByOne(false);
    int fd = socket(f, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    Values values = fd >= 0 ? readOptions(fd, f, oneByOne) : Values{};
    if (fd >= 0) ::close(fd);
    return values;
  };
  static const Values inet = readFresh(AF_INET), inet6 = readFresh(AF_INET6);
  return family == AF_INET6 ? inet6 : inet;
}

}  // namespace

void copySocketOptions(int from, int to, int family, SocketOptionReader& reader) {
  const Values& fresh = freshDefaults(family);
  Values caller = readOptions(from, family, reader);
  for (std::size_t i = 0; i < kCarried.size(); ++i) {
    if (!caller[i].read || (fresh[i].read && std::memcmp(caller[i].bytes, fresh[i].bytes, kCarried[i].size) == 0))
      continue;
    setsockopt(to, kCarried[i].level, kCarried[i].name, caller[i].bytes, static_cast<socklen_t>(kCarried[i].size));
  }
}

}  // namespace sbx::run
