// runtime/socket_option_reader.h: a batch of reads answers exactly what getsockopt(2) answers,
// one call each: values, sizes and errors, whatever the level, the descriptor (a socket, a pipe,
// a closed number) or the count (more than one submission carries). Where this kernel's io_uring
// has the socket command the batch must go through it (else the case is skipped, not passed).
#include "runtime/socket_option_reader.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "support/skip.h"

namespace {

using sbx::run::OptionRead;
using sbx::run::SocketOptionReader;

struct Asked {
  int level, name;
  socklen_t size;
};

// What the reader answers, and what one getsockopt each answers, for `asked` on `fd`.
void expectSameAnswers(SocketOptionReader& reader, int fd, const std::vector<Asked>& asked) {
  std::vector<std::array<unsigned char, 32>> got(asked.size()), want(asked.size());
  std::vector<OptionRead> reads;
  for (std::size_t i = 0; i < asked.size(); ++i) {
    got[i].fill(0xAA);  // what a read left unwritten shows as such
    reads.push_back({fd, asked[i].level, asked[i].name, got[i].data(), asked[i].size, -1});
  }
  reader.read(reads);
  for (std::size_t i = 0; i < asked.size(); ++i) {
    CAPTURE(i);
    CAPTURE(asked[i].name);
    want[i].fill(0xAA);
    socklen_t size = asked[i].size;
    int error = getsockopt(fd, asked[i].level, asked[i].name, want[i].data(), &size) == 0 ? 0 : errno;
    CHECK(reads[i].error == error);
    if (error) continue;
    CHECK(reads[i].size == size);
    CHECK(got[i] == want[i]);
  }
}

const std::vector<Asked> kAsked = {
    {SOL_SOCKET, SO_DOMAIN, sizeof(int)},        {SOL_SOCKET, SO_TYPE, sizeof(int)},
    {SOL_SOCKET, SO_KEEPALIVE, sizeof(int)},     {SOL_SOCKET, SO_LINGER, sizeof(linger)},
    {SOL_SOCKET, SO_RCVTIMEO, sizeof(timeval)},  {IPPROTO_TCP, TCP_NODELAY, sizeof(int)},
    {SOL_SOCKET, SO_PRIORITY, sizeof(int)},      {IPPROTO_TCP, TCP_KEEPIDLE, sizeof(int)},
    {SOL_SOCKET, SO_NETNS_COOKIE, sizeof(long)}, {SOL_SOCKET, SO_PROTOCOL, sizeof(int)},
    {SOL_SOCKET, SO_OOBINLINE, 2 /* short */},   {IPPROTO_IP, IP_TOS, sizeof(int)},
};

// A TCP socket holding options no fresh socket holds.
int configuredSocket() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1, priority = 3, idle = 77;
  linger lingering{1, 5};
  timeval timeout{2, 500000};
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lingering, sizeof lingering);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &priority, sizeof priority);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  return fd;
}

}  // namespace

TEST_CASE("socket option reader: a batch answers as one getsockopt each, through io_uring where the kernel has it") {
  int fd = configuredSocket();
  REQUIRE(fd >= 0);
  SocketOptionReader batched, oneByOne(false);
  expectSameAnswers(batched, fd, kAsked);
  expectSameAnswers(oneByOne, fd, kAsked);
  CHECK_FALSE(oneByOne.batches());
  bool ring = batched.batches();
  // Errors are the descriptor's, not the ring's: a pipe and a closed number, then a socket again.
  int pipeEnds[2];
  REQUIRE(pipe2(pipeEnds, O_CLOEXEC) == 0);
  expectSameAnswers(batched, pipeEnds[0], kAsked);
  ::close(pipeEnds[0]);
  ::close(pipeEnds[1]);
  expectSameAnswers(batched, pipeEnds[0], kAsked);
  std::vector<Asked> many;  // more reads than one submission carries
  for (int i = 0; i < 3; ++i) many.insert(many.end(), kAsked.begin(), kAsked.end());
  expectSameAnswers(batched, fd, many);
  CHECK(batched.batches() == ring);
  ::close(fd);
  if (!ring)
    sbx::test::skipTest("io_uring here lacks the socket command (Linux 6.7), or is disabled: batches not tried");
}
