#include "runtime/resolver.h"

#include <ares.h>
#include <netdb.h>
#include <poll.h>

#include <mutex>

#include <fmt/format.h>

#include "net/host_name.h"

namespace sbx::run {

namespace {

constexpr int kTimeoutMs = 2000, kTries = 2;

struct Lookup {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<IpAddress> addresses;
};

void collect(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  auto& lookup = *static_cast<Lookup*>(arg);
  lookup.done = true;
  lookup.status = status;
  if (!result) return;
  for (auto* node = result->nodes; node; node = node->ai_next)
    if (auto address = IpAddress::fromSockaddr(node->ai_addr)) lookup.addresses.push_back(address->unmapped());
  ares_freeaddrinfo(result);
}

// Drives one channel until its lookup is done (c-ares calls back from ares_process_fd).
void run(ares_channel channel, const Lookup& lookup) {
  while (!lookup.done) {
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    int mask = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = (ARES_GETSOCK_READABLE(mask, i) ? POLLIN : 0) | (ARES_GETSOCK_WRITABLE(mask, i) ? POLLOUT : 0);
      if (events) fds.push_back({sockets[i], events, 0});
    }
    timeval wait{}, *next = ares_timeout(channel, nullptr, &wait);
    int waitMs = next ? static_cast<int>(next->tv_sec * 1000 + next->tv_usec / 1000) : 100;
    if (poll(fds.data(), fds.size(), waitMs) <= 0) {
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
      continue;
    }
    for (const auto& p : fds)
      if (p.revents)
        ares_process_fd(channel, p.revents & (POLLIN | POLLERR | POLLHUP) ? p.fd : ARES_SOCKET_BAD,
                        p.revents & POLLOUT ? p.fd : ARES_SOCKET_BAD);
  }
}

}  // namespace

std::vector<IpAddress> resolveHost(const std::string& host, std::string& error) {
  if (auto literal = parseAddressLiteral(host)) return {*literal};
  // c-ares reads a C string: only a name in the form the rules were matched against may reach it.
  std::string why;
  if (canonicalHostName(host, why) != host) {
    error = fmt::format("host name `{}` {}", printableHostText(host), why.empty() ? "is not canonical" : why);
    return {};
  }
  static std::once_flag initialized;
  std::call_once(initialized, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  ares_options options{};
  options.timeout = kTimeoutMs;
  options.tries = kTries;
  ares_channel channel = nullptr;
  if (int status = ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES); status != ARES_SUCCESS) {
    error = fmt::format("resolver: {}", ares_strerror(status));
    return {};
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  Lookup lookup;
  ares_getaddrinfo(channel, host.c_str(), nullptr, &hints, collect, &lookup);
  run(channel, lookup);
  ares_destroy(channel);
  if (lookup.addresses.empty())
    error = fmt::format("cannot resolve {}: {}", host,
                        lookup.status == ARES_SUCCESS ? "no addresses" : ares_strerror(lookup.status));
  return lookup.addresses;
}

}  // namespace sbx::run
