// runtime/loopback_pair.h: the pair is connected end to end, and every loopback hop of sbx-run's
// (the pair's ends, and the egress proxy's listener by the same call) runs CUBIC or Reno, never a
// paced congestion control such as BBR, whatever the host's default.
#include "runtime/loopback_pair.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace {

std::string congestionControl(int fd) {
  char name[16] = {};  // TCP_CA_NAME_MAX
  socklen_t size = sizeof name;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &size) != 0) return "";
  return std::string(name, strnlen(name, size));
}

}  // namespace

TEST_CASE("loopback pair: its ends reach each other, and neither is paced") {
  for (int family : {AF_INET, AF_INET6}) {
    auto pair = sbx::run::loopbackPair(family);
    if (!pair && family == AF_INET6) continue;  // no IPv6 loopback here
    REQUIRE(pair);
    CHECK(write(pair->near, "ping", 4) == 4);
    char got[4] = {};
    CHECK(read(pair->far, got, sizeof got) == 4);
    CHECK(std::string(got, 4) == "ping");
    for (int fd : {pair->near, pair->far}) {
      std::string name = congestionControl(fd);
      CHECK_MESSAGE((name == "cubic" || name == "reno"), "congestion control: ", name);
      close(fd);
    }
  }
}

TEST_CASE("loopback pair: a socket given the loopback's congestion control keeps it whatever the host's default") {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const char* paced = "bbr";  // the host's default may be this: the socket starts with it here
  bool startedPaced = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, paced, 3) == 0;
  sbx::run::preferLoopbackCongestionControl(fd);
  std::string name = congestionControl(fd);
  CHECK_MESSAGE((name == "cubic" || name == "reno"), "congestion control: ", name, startedPaced ? " (was bbr)" : "");
  close(fd);
}
