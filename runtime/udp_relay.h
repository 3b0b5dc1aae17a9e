// The UDP flows of the socket broker (socket_broker.h). A UDP socket brokered to an allowed
// destination is replaced in the sandbox by one end of a UNIX SOCK_SEQPACKET pair (datagrams keep
// their boundaries); the relay holds the other end and a UDP socket in the host's network
// namespace connected to the destination, and carries datagrams both ways. What the sandbox holds
// is a UNIX socket, so nothing it does with it (sendto or sendmsg to another address, connect,
// bind) can reach the host's network: the design has no check to race. The cost of that: the
// sandbox sees a UNIX socket (getsockname, getpeername and the source of recvfrom name no IP
// address), and each datagram crosses the relay (one thread, epoll).
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sbx::run {

class UdpRelay {
 public:
  static constexpr std::size_t kMaxFlows = 256;

  UdpRelay();
  ~UdpRelay();
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;

  struct Flow {
    int sandboxEnd = -1;  // to install in the sandbox (the caller closes its copy)
    unsigned long inode = 0;
  };
  // A flow to `destination` (`size` bytes), the host socket of `family` connected to it; nullopt
  // with errno (ENOBUFS past kMaxFlows).
  std::optional<Flow> open(int family, const sockaddr_storage& destination, socklen_t size);
  // The destination of the flow whose sandbox end is socket inode `inode`; false for no flow's.
  bool destinationOf(unsigned long inode, sockaddr_storage& destination, socklen_t& size);
  // Sends `datagram` to that flow's destination: send(2)'s result (-1 with errno; EBADF: no flow).
  ssize_t send(unsigned long inode, const std::string& datagram);
  void stop();

 private:
  struct Entry {
    int relayEnd = -1, host = -1;
    sockaddr_storage destination{};
    socklen_t size = 0;
  };
  void run();
  void close(unsigned long inode);

  int epoll_ = -1, wake_ = -1;
  std::mutex mutex_;
  std::map<unsigned long, Entry> flows_;  // by the sandbox end's inode
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace sbx::run
