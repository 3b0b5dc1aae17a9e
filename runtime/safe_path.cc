#include "runtime/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sbx::run {

int openWithoutSymlinks(const std::string& path, std::string& error) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
  if (fd >= 0) return fd;
  int e = errno;
  if (e == ELOOP)
    error = fmt::format("{}: a symbolic link is on the path; declare the path it points to instead", path);
  else if (e == ENOENT)
    error = fmt::format("{}: no such file or directory (the policy declares it; create it or remove the grant)", path);
  else
    error = fmt::format("{}: {}", path, std::strerror(e));
  return -1;
}

std::optional<std::string> finalSymlink(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash + 1 == path.size()) return std::nullopt;
  std::string ignored;
  int parent = openWithoutSymlinks(slash == 0 ? "/" : path.substr(0, slash), ignored);
  if (parent < 0) return std::nullopt;
  char target[4096];
  ssize_t n = readlinkat(parent, path.c_str() + slash + 1, target, sizeof target);
  ::close(parent);
  if (n <= 0 || n == sizeof target) return std::nullopt;
  return std::string(target, static_cast<std::size_t>(n));
}

}  // namespace sbx::run
