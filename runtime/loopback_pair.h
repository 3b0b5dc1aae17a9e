// A connected pair of TCP sockets over the host's loopback. A brokered connect to a host:port whose
// requests the inspector judges (socket_broker.h) is given one end, the inspector the other: the
// program holds a real TCP socket, whose options and reads behave as on any connection, and what
// it sends reaches only the inspector.
#pragma once
#include <optional>

namespace sbx::run {

struct LoopbackPair {
  int near = -1;  // for the sandbox
  int far = -1;   // for the inspector
};

// `family`: AF_INET (127.0.0.1) or AF_INET6 (::1). None, with errno, when the pair cannot be made.
std::optional<LoopbackPair> loopbackPair(int family);

// Gives TCP socket `fd`, which only ever carries loopback traffic (or a listener whose accepted
// connections do), CUBIC or else Reno as its congestion control instead of the host's default.
// That default may be BBR, whose pacing timers cost a loopback hop 16 to 30% of a TLS download's
// throughput (docs/egress.md) and buy nothing where nothing is lost or queued.
void preferLoopbackCongestionControl(int fd);

}  // namespace sbx::run
