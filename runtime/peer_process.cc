#include "runtime/peer_process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

// The most /proc entries one look examines (lines of the socket table, descriptor links). The
// look runs in the launcher, outside the task's limits, and /proc makes each descriptor it lists
// an inode (about 20 us each on a VM): unbounded, an agent holding 20000 descriptors in each of
// 41 processes made every connection cost the launcher some 16 s of CPU, its tools' connections
// waiting behind. Bounded, a look costs at most about 0.2 s. Past the budget the holders are
// unknown: a task with more descriptors than this gets no tool's destinations.
constexpr std::size_t kMaxEntriesExamined = 8192;

// The inode of the socket whose local port is `port` and remote port `peerPort`, from the
// sandbox's /proc/net/tcp (IPv4 loopback: the proxy listens on 127.0.0.1).
std::string socketInode(pid_t init, unsigned port, unsigned peerPort, std::size_t& budget) {
  std::ifstream table(fmt::format("/proc/{}/net/tcp", init));
  std::string local = fmt::format(":{:04X}", port), remote = fmt::format(":{:04X}", peerPort), line;
  std::getline(table, line);  // header
  while (budget > 0 && std::getline(table, line)) {
    --budget;
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
  std::size_t budget = kMaxEntriesExamined;
  std::string inode = socketInode(sandboxInit, ntohs(peer.sin_port), ntohs(self.sin_port), budget);
  if (budget == 0) return std::nullopt;
  if (inode.empty() || inode == "0") return std::vector<std::string>{};
  std::string wanted = "socket:[" + inode + "]";
  std::vector<std::string> holders;
  bool unreadable = false;
  // Each thread's table: a thread that called unshare(CLONE_FILES) has its own. One the kernel
  // says is the process's own table (kcmp) is read once.
  auto holds = [&](pid_t pid) {
    std::error_code threadsError;
    for (const auto& thread : fs::directory_iterator(fmt::format("/proc/{}/task", pid), threadsError)) {
      pid_t tid = std::atoi(thread.path().filename().c_str());
      if (tid != pid && syscall(SYS_kcmp, pid, tid, KCMP_FILES, 0, 0) == 0) continue;
      // Each link read relative to the table's directory: no path walk and no lstat per entry.
      int table = ::open((thread.path() / "fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (table < 0) {
        if (errno == EACCES || errno == EPERM) unreadable = true;  // gone (ENOENT) is no holder
        continue;
      }
      DIR* entries = fdopendir(table);
      if (!entries) {
        ::close(table);
        continue;
      }
      bool found = false;
      char target[64];
      for (dirent* entry; !found && budget > 0 && (entry = readdir(entries));) {
        if (entry->d_name[0] == '.') continue;
        --budget;
        ssize_t n = readlinkat(table, entry->d_name, target, sizeof target);
        found = n == static_cast<ssize_t>(wanted.size()) && wanted.compare(0, wanted.size(), target, n) == 0;
      }
      closedir(entries);
      if (found) return true;
    }
    return false;
  };
  // Not init: it never receives the payload's descriptors, and its /proc/PID/fd is the host
  // root's once the payload starts (init.cc makes the memory it shares non-dumpable).
  for (pid_t pid : processesUnder(sandboxInit))
    if (pid != sandboxInit && budget > 0 && holds(pid)) holders.push_back(link(fmt::format("/proc/{}/exe", pid)));
  if (unreadable || budget == 0) return std::nullopt;
  return holders;
}

}  // namespace sbx::run
