#include "runtime/remote_memory.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace sbx::run {

namespace {

// A small /proc file, read through one descriptor; empty when unreadable.
std::string readSmall(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buffer[4096];
  ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

// The number after `key` in a "Key:\tvalue" file; -1 when absent.
long long field(const std::string& text, const char* key, int base) {
  auto at = text.find(key);
  if (at == std::string::npos) return -1;
  return std::strtoll(text.c_str() + at + std::strlen(key), nullptr, base);
}

}  // namespace

bool readRemote(pid_t pid, std::uint64_t address, void* out, std::size_t size) {
  if (size == 0) return true;
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(static_cast<std::uintptr_t>(address)), size};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

CallerDescriptors::~CallerDescriptors() {
  for (Leader& l : kept_) forget(l);
}

void CallerDescriptors::forget(Leader& leader) {
  for (int fd : {leader.pidfd, leader.fdinfo})
    if (fd >= 0) ::close(fd);
  leader = {};
}

CallerDescriptors::Leader* CallerDescriptors::find(pid_t pid) {
  for (Leader& l : kept_)
    if (l.pid == pid && l.pidfd >= 0) return &l;
  return nullptr;
}

void CallerDescriptors::keep(pid_t pid, int pidfd) {
  Leader& slot = kept_[next_];
  next_ = (next_ + 1) % kKept;
  forget(slot);
  slot.pid = pid;
  slot.pidfd = pidfd;
}

int CallerDescriptors::duplicate(pid_t tid, int fd, pid_t& tgid) {
  if (Leader* l = find(tid)) {
    tgid = tid;
    int copy = static_cast<int>(syscall(SYS_pidfd_getfd, l->pidfd, fd, 0));
    if (copy >= 0 || errno != ESRCH) return copy;
    forget(*l);  // that process is gone: `tid` is another's now
  }
  // Most callers lead their thread group: then pidfd_open takes the thread's id as it is, and
  // only a thread that does not costs reading its status. pidfd_open refuses such a thread with
  // EINVAL before Linux 6.9 and ENOENT since (6.18 here): a connect from a thread, as glibc's
  // resolver makes in curl's resolver thread, failed with ENOTSOCK on ENOENT.
  tgid = tid;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, tid, 0));
  bool leader = pidfd >= 0;
  if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) {
    long long found = field(readSmall(fmt::format("/proc/{}/status", tid)), "\nTgid:", 10);
    tgid = found > 0 ? static_cast<pid_t>(found) : 0;
    pidfd = tgid ? static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)) : -1;
  }
  if (pidfd < 0) {
    tgid = 0;
    errno = ESRCH;
    return -1;
  }
  int copy = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));  // close-on-exec, always
  int saved = errno;
  if (leader)
    keep(tid, pidfd);
  else
    ::close(pidfd);
  errno = saved;
  return copy;
}

long long CallerDescriptors::flags(pid_t tgid, int fd) {
  // A kept fdinfo file shows the descriptor as it is at each read (procfs renders it anew at
  // offset 0); it fails once the process is gone, whoever has its id since.
  char text[512];
  Leader* l = find(tgid);
  ssize_t n = -1;
  if (l && l->fdinfoOf == fd) n = pread(l->fdinfo, text, sizeof text - 1, 0);
  if (n <= 0) {
    int file = ::open(fmt::format("/proc/{}/fdinfo/{}", tgid, fd).c_str(), O_RDONLY | O_CLOEXEC);
    if (file < 0) return 0;
    n = pread(file, text, sizeof text - 1, 0);
    if (l) {
      if (l->fdinfo >= 0) ::close(l->fdinfo);
      l->fdinfoOf = fd;
      l->fdinfo = file;
    } else {
      ::close(file);
    }
  }
  if (n <= 0) return 0;
  return std::max(field(std::string(text, static_cast<std::size_t>(n)), "flags:", 8), 0LL);
}

std::string executableOf(pid_t tgid) {
  char target[4096];
  ssize_t n = readlink(fmt::format("/proc/{}/exe", tgid).c_str(), target, sizeof target);
  return n > 0 && n < static_cast<ssize_t>(sizeof target) ? std::string(target, static_cast<std::size_t>(n)) : "";
}

}  // namespace sbx::run
