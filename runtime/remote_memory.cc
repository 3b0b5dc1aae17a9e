#include "runtime/remote_memory.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

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

int duplicateCallerDescriptor(pid_t tid, int fd, pid_t& tgid) {
  // Most callers lead their thread group: then pidfd_open takes the thread's id as it is, and
  // only a thread that does not costs reading its status. pidfd_open refuses such a thread with
  // EINVAL before Linux 6.9 and ENOENT since (6.18 here): a connect from a thread, as glibc's
  // resolver makes in curl's resolver thread, failed with ENOTSOCK on ENOENT.
  tgid = tid;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, tid, 0));
  if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) {
    long long leader = field(readSmall(fmt::format("/proc/{}/status", tid)), "\nTgid:", 10);
    tgid = leader > 0 ? static_cast<pid_t>(leader) : 0;
    pidfd = tgid ? static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)) : -1;
  }
  if (pidfd < 0) {
    tgid = 0;
    errno = ESRCH;
    return -1;
  }
  int copy = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));  // close-on-exec, always
  int saved = errno;
  ::close(pidfd);
  errno = saved;
  return copy;
}

bool remoteCloseOnExec(pid_t tgid, int fd) {
  long long flags = field(readSmall(fmt::format("/proc/{}/fdinfo/{}", tgid, fd)), "flags:", 8);
  return flags >= 0 && (flags & O_CLOEXEC);
}

std::string executableOf(pid_t tgid) {
  char target[4096];
  ssize_t n = readlink(fmt::format("/proc/{}/exe", tgid).c_str(), target, sizeof target);
  return n > 0 && n < static_cast<ssize_t>(sizeof target) ? std::string(target, static_cast<std::size_t>(n)) : "";
}

}  // namespace sbx::run
