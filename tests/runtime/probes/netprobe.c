/* A small TCP and UDP client for the socket-brokering tests (tests/runtime/socket_broker_test.cc)
 * and bench/egress.sh, run inside sbx-run with no proxy settings. Each attempt prints one line,
 * "NAME -> RESULT", that the test matches. Built twice: dynamically and with -static.
 *
 *   netprobe tcp IP PORT                      connect, send "ping\n", print the echoed line
 *   netprobe tcp-nonblocking IP PORT          the same through a non-blocking connect and poll
 *   netprobe udp IP PORT                      sendto on an unconnected socket, print the reply
 *   netprobe udp-connected IP PORT            connect, send, print the reply
 *   netprobe escapes IP PORT UDPPORT OTHERPORT  every way out of a brokered socket (see escapes())
 *   netprobe receive IP PORT BYTES [PROXYIP PROXYPORT]
 *                                             read BYTES (through an HTTP proxy's CONNECT), print
 *                                             "received N in S seconds"
 *   netprobe connects IP PORT COUNT [PROXYIP PROXYPORT]
 *                                             COUNT usable connections, print the median in microseconds
 *   netprobe sink PORT                        on the host: accept each connection on 127.0.0.1:PORT
 *                                             and close it (the connect target of bench/egress.sh)
 *   netprobe source PORT                      on the host: send zeros to each connection on
 *                                             127.0.0.1:PORT until it closes (bench/egress.sh)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static struct sockaddr_in address(const char* ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

/* "NAME -> refused (ERRNO)" when `result` failed, "NAME -> ESCAPED" when it did not. */
static void expectFailure(const char* name, long result) {
  if (result < 0)
    printf("%s -> refused (%s)\n", name, strerror(errno));
  else
    printf("%s -> ESCAPED\n", name);
}

/* A send with another address that the kernel may accept by ignoring the address: refused, or
 * its byte echoed back on `fd` by the one destination (so it went nowhere else). */
static void expectOwnDestination(const char* name, long result, int fd) {
  if (result < 0) {
    printf("%s -> refused (%s)\n", name, strerror(errno));
    return;
  }
  struct timeval timeout = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char echo = 0;
  printf("%s -> %s\n", name, recv(fd, &echo, 1, 0) == 1 && echo == 'x' ? "kept its destination" : "ESCAPED");
}

static void replyOn(const char* name, int fd) {
  struct timeval timeout = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char reply[256];
  ssize_t n = recv(fd, reply, sizeof reply - 1, 0);
  if (n < 0) {
    printf("%s -> error %s\n", name, strerror(errno));
    return;
  }
  reply[n] = 0;
  reply[strcspn(reply, "\n")] = 0;
  printf("%s -> %s\n", name, reply);
}

static int tcp(const char* ip, int port, int nonBlocking) {
  struct sockaddr_in a = address(ip, port);
  int fd = socket(AF_INET, SOCK_STREAM | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(fd, (struct sockaddr*)&a, sizeof a);
  if (r < 0 && errno == EINPROGRESS) {
    struct pollfd p = {fd, POLLOUT, 0};
    poll(&p, 1, 5000);
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
    errno = error;
    r = error ? -1 : 0;
    fcntl(fd, F_SETFL, 0);
  }
  if (r < 0) {
    printf("tcp %s:%d -> error %s\n", ip, port, strerror(errno));
    close(fd);
    return -1;
  }
  int nodelay = 0;
  socklen_t size = sizeof nodelay;
  getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size);
  send(fd, "ping\n", 5, MSG_NOSIGNAL);
  char name[64];
  snprintf(name, sizeof name, "tcp %s:%d", ip, port);
  replyOn(name, fd);
  printf("tcp nodelay carried -> %s\n", nodelay ? "yes" : "no");
  return fd;
}

static void udp(const char* ip, int port, int connected) {
  struct sockaddr_in a = address(ip, port);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  char name[64];
  snprintf(name, sizeof name, "udp %s:%d", ip, port);
  long r = connected ? connect(fd, (struct sockaddr*)&a, sizeof a) : 0;
  if (r == 0) r = connected ? send(fd, "ping", 4, 0) : sendto(fd, "ping", 4, 0, (struct sockaddr*)&a, sizeof a);
  if (r < 0) {
    printf("%s -> error %s\n", name, strerror(errno));
    return;
  }
  replyOn(name, fd);
  if (!connected) { /* a second datagram to the same destination */
    sendto(fd, "ping", 4, 0, (struct sockaddr*)&a, sizeof a);
    char again[80];
    snprintf(again, sizeof again, "%s again", name);
    replyOn(again, fd);
  }
  close(fd);
}

/* The descriptor-swapping race: one thread connects (or Fast-Opens) descriptor `target` to
 * `other` while another puts the brokered socket and a fresh sandbox socket there in turn. */
struct Race {
  int target, brokered, rounds, fastOpen;
  struct sockaddr_in other;
};

static void* swapper(void* arg) {
  struct Race* race = arg;
  for (int i = 0; i < race->rounds; ++i) {
    dup2(race->brokered, race->target);
    int fresh = socket(AF_INET, SOCK_STREAM, 0);
    dup2(fresh, race->target);
    close(fresh);
  }
  return NULL;
}

static void race(const char* name, int brokered, struct sockaddr_in other, int fastOpen) {
  struct Race r = {100, brokered, 5000, fastOpen, other};
  pthread_t thread;
  pthread_create(&thread, NULL, swapper, &r);
  int reached = 0;
  for (int i = 0; i < r.rounds; ++i) {
    long result;
    if (fastOpen)
      result = sendto(r.target, "x", 1, MSG_FASTOPEN | MSG_NOSIGNAL, (struct sockaddr*)&r.other, sizeof r.other);
    else
      result = connect(r.target, (struct sockaddr*)&r.other, sizeof r.other);
    if (result >= 0) ++reached; /* only the sandbox's own loopback can answer: counted, then judged by the test */
  }
  pthread_join(thread, NULL);
  printf("%s -> done (%d calls returned success)\n", name, reached);
}

/* Every way out of an installed socket, issue 21 point 2. IP is the allowed server's address,
 * PORT its TCP echo, UDPPORT its UDP echo; OTHERPORT a server on the host the policy does not
 * allow (its own count tells the test whether anything reached it). */
static void escapes(const char* ip, int port, int udpPort, int otherPort) {
  struct sockaddr_in other = address(ip, otherPort), unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sin_family = AF_UNSPEC;
  int s = tcp(ip, port, 0);
  if (s < 0) return;
  expectFailure("second-connect", connect(s, (struct sockaddr*)&other, sizeof other));
  expectFailure("disconnect", connect(s, (struct sockaddr*)&unspec, sizeof unspec));
  expectFailure("fastopen-sendto",
                sendto(s, "x", 1, MSG_FASTOPEN | MSG_NOSIGNAL, (struct sockaddr*)&other, sizeof other));
  struct iovec data = {"x", 1};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &data;
  m.msg_iovlen = 1;
  m.msg_name = &other;
  m.msg_namelen = sizeof other;
  expectOwnDestination("fastopen-sendmsg", sendmsg(s, &m, MSG_FASTOPEN | MSG_NOSIGNAL), s);
  m.msg_name = &unspec;
  m.msg_namelen = sizeof unspec;
  expectFailure("fastopen-sendmsg-unspec", sendmsg(s, &m, MSG_FASTOPEN | MSG_NOSIGNAL));
  expectFailure("connect-after-unspec", connect(s, (struct sockaddr*)&other, sizeof other));
  struct sockaddr_in any = address("0.0.0.0", 0);
  expectFailure("bind", bind(s, (struct sockaddr*)&any, sizeof any));
  expectFailure("listen", listen(s, 8));
  send(s, "ping\n", 5, MSG_NOSIGNAL);
  replyOn("still-connected", s);

  struct sockaddr_in allowedUdp = address(ip, udpPort), otherUdp = address(ip, otherPort);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  if (connect(u, (struct sockaddr*)&allowedUdp, sizeof allowedUdp) != 0)
    printf("udp-connect -> error %s\n", strerror(errno));
  expectFailure("udp-sendto-other", sendto(u, "x", 1, 0, (struct sockaddr*)&otherUdp, sizeof otherUdp));
  m.msg_name = &otherUdp;
  m.msg_namelen = sizeof otherUdp;
  expectOwnDestination("udp-sendmsg-other", sendmsg(u, &m, MSG_NOSIGNAL), u);
  struct mmsghdr mm;
  memset(&mm, 0, sizeof mm);
  mm.msg_hdr = m;
  expectOwnDestination("udp-sendmmsg-other", sendmmsg(u, &mm, 1, MSG_NOSIGNAL) == 1 ? 0 : -1, u);
  expectFailure("udp-reconnect", connect(u, (struct sockaddr*)&otherUdp, sizeof otherUdp));
  expectFailure("udp-disconnect", connect(u, (struct sockaddr*)&unspec, sizeof unspec));
  expectFailure("udp-bind", bind(u, (struct sockaddr*)&any, sizeof any));
  send(u, "ping", 4, 0);
  replyOn("udp-still-connected", u);

  race("race-connect", s, other, 0);
  race("race-fastopen", s, other, 1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A usable connection to IP:PORT: direct, or through the HTTP proxy at PROXYIP:PROXYPORT (its
 * CONNECT answered). -1 on failure. */
static int usable(const char* ip, int port, const char* proxyIp, int proxyPort) {
  struct sockaddr_in a = proxyIp ? address(proxyIp, proxyPort) : address(ip, port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    printf("connect -> error %s\n", strerror(errno));
    close(fd);
    return -1;
  }
  if (!proxyIp) return fd;
  char request[256], head[4096];
  int n = snprintf(request, sizeof request, "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n", ip, port, ip, port);
  send(fd, request, (size_t)n, MSG_NOSIGNAL);
  size_t got = 0;
  while (got < sizeof head - 1) { /* byte by byte: what follows the head is the server's */
    if (recv(fd, head + got, 1, 0) != 1) break;
    ++got;
    if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0) break;
  }
  head[got] = 0;
  if (strncmp(head, "HTTP/1.1 200", 12) != 0 && strncmp(head, "HTTP/1.0 200", 12) != 0) {
    printf("connect -> proxy refused: %.60s\n", head);
    close(fd);
    return -1;
  }
  return fd;
}

static void receive(const char* ip, int port, long long bytes, const char* proxyIp, int proxyPort) {
  double start = now();
  int fd = usable(ip, port, proxyIp, proxyPort);
  if (fd < 0) return;
  static char buffer[1 << 20];
  long long got = 0;
  for (ssize_t n; got < bytes && (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) got += n;
  printf("received %lld in %.6f seconds\n", got, now() - start);
  close(fd);
}

static void* sourceOne(void* arg) {
  int fd = (int)(long)arg;
  static char zeros[1 << 20];
  while (send(fd, zeros, sizeof zeros, MSG_NOSIGNAL) > 0) {
  }
  close(fd);
  return NULL;
}

/* A listening socket on 127.0.0.1:PORT, announced on standard output; exits when it cannot be. */
static int listening(int port) {
  struct sockaddr_in a = address("127.0.0.1", port);
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(fd, 256) != 0) {
    perror("listen");
    exit(1);
  }
  printf("listening on %d\n", port);
  return fd;
}

static void source(int port) {
  int fd = listening(port);
  for (int client; (client = accept(fd, NULL, NULL)) >= 0;) {
    pthread_t thread;
    pthread_create(&thread, NULL, sourceOne, (void*)(long)client);
    pthread_detach(thread);
  }
}

/* Accepts and closes each connection, on one thread: the time to a connection then carries no
 * server's work of its own (a thread per connection, as `source` starts, loads the other CPU). */
static void sink(int port) {
  int fd = listening(port);
  for (int client; (client = accept(fd, NULL, NULL)) >= 0;) close(client);
}

static int byValue(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void connects(const char* ip, int port, int count, const char* proxyIp, int proxyPort) {
  double* took = calloc((size_t)count, sizeof *took);
  for (int i = 0; i < count; ++i) {
    double start = now();
    int fd = usable(ip, port, proxyIp, proxyPort);
    if (fd < 0) return;
    took[i] = (now() - start) * 1e6;
    close(fd);
  }
  qsort(took, (size_t)count, sizeof *took, byValue);
  printf("connect median %.1f us over %d\n", took[count / 2], count);
  free(took);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp(argv[1], "tcp") == 0) return tcp(argv[2], atoi(argv[3]), 0) < 0;
  if (argc >= 4 && strcmp(argv[1], "tcp-nonblocking") == 0) return tcp(argv[2], atoi(argv[3]), 1) < 0;
  if (argc >= 4 && strcmp(argv[1], "udp") == 0) return udp(argv[2], atoi(argv[3]), 0), 0;
  if (argc >= 4 && strcmp(argv[1], "udp-connected") == 0) return udp(argv[2], atoi(argv[3]), 1), 0;
  if (argc >= 6 && strcmp(argv[1], "escapes") == 0)
    return escapes(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5])), 0;
  const char* proxyIp = argc >= 7 ? argv[5] : NULL;
  int proxyPort = argc >= 7 ? atoi(argv[6]) : 0;
  if (argc >= 5 && strcmp(argv[1], "receive") == 0)
    return receive(argv[2], atoi(argv[3]), atoll(argv[4]), proxyIp, proxyPort), 0;
  if (argc >= 5 && strcmp(argv[1], "connects") == 0)
    return connects(argv[2], atoi(argv[3]), atoi(argv[4]), proxyIp, proxyPort), 0;
  if (argc >= 3 && strcmp(argv[1], "source") == 0) return source(atoi(argv[2])), 0;
  if (argc >= 3 && strcmp(argv[1], "sink") == 0) return sink(atoi(argv[2])), 0;
  fprintf(stderr,
          "usage: netprobe tcp|tcp-nonblocking|udp|udp-connected IP PORT | escapes IP PORT UDPPORT OTHERPORT | "
          "receive IP PORT BYTES [PROXYIP PROXYPORT] | connects IP PORT COUNT [PROXYIP PROXYPORT] | source PORT | sink PORT\n");
  return 2;
}
