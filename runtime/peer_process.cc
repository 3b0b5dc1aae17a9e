#include "runtime/peer_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

// The inode of the socket whose local port is `port` and remote port `peerPort`, from the
// sandbox's /proc/net/tcp (IPv4 loopback: the proxy listens on 127.0.0.1).
std::string socketInode(pid_t init, unsigned port, unsigned peerPort) {
  std::ifstream table(fmt::format("/proc/{}/net/tcp", init));
  std::string local = fmt::format(":{:04X}", port), remote = fmt::format(":{:04X}", peerPort), line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, localAddress, remoteAddress, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> localAddress >> remoteAddress >> state >> queues >> timer >> retransmits >> uid >> timeout >>
        inode;
    if (localAddress.ends_with(local) && remoteAddress.ends_with(remote)) return inode;
  }
  return "";
}

std::string link(const fs::path& path) {
  std::error_code ec;
  auto target = fs::read_symlink(path, ec);
  return ec ? "" : target.string();
}

// The sandbox's processes: init and its descendants. Every thread's children: a process forked by
// a thread other than the main one is listed under that thread alone.
std::vector<pid_t> processesUnder(pid_t init) {
  std::vector<pid_t> out{init};
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::error_code ec;
    for (const auto& thread : fs::directory_iterator(fmt::format("/proc/{}/task", out[i]), ec)) {
      std::ifstream children(thread.path() / "children");
      for (pid_t child; children >> child;) out.push_back(child);
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> peerExecutables(int accepted, pid_t sandboxInit) {
  sockaddr_in self{}, peer{};
  socklen_t length = sizeof self;
  if (getsockname(accepted, reinterpret_cast<sockaddr*>(&self), &length) != 0 || self.sin_family != AF_INET)
    return std::vector<std::string>{};
  length = sizeof peer;
  if (getpeername(accepted, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return std::vector<std::string>{};
  std::string inode = socketInode(sandboxInit, ntohs(peer.sin_port), ntohs(self.sin_port));
  if (inode.empty() || inode == "0") return std::vector<std::string>{};
  std::string wanted = "socket:[" + inode + "]";
  std::vector<std::string> holders;
  bool unreadable = false;
  // Each thread's table: a thread that called unshare(CLONE_FILES) has its own.
  auto holds = [&](pid_t pid) {
    std::error_code threadsError;
    for (const auto& thread : fs::directory_iterator(fmt::format("/proc/{}/task", pid), threadsError)) {
      std::error_code ec;
      for (const auto& fd : fs::directory_iterator(thread.path() / "fd", ec))
        if (link(fd.path()) == wanted) return true;
      if (ec == std::errc::permission_denied) unreadable = true;  // gone (ENOENT) is no holder
    }
    return false;
  };
  // Not init: it never receives the payload's descriptors, and its /proc/PID/fd is the host
  // root's once the payload starts (init.cc makes the memory it shares non-dumpable).
  for (pid_t pid : processesUnder(sandboxInit))
    if (pid != sandboxInit && holds(pid)) holders.push_back(link(fmt::format("/proc/{}/exe", pid)));
  if (unreadable) return std::nullopt;
  return holders;
}

}  // namespace sbx::run
