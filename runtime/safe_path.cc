#include "runtime/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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

namespace {

constexpr std::uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

int openat2Beneath(int dir, const char* path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_PATH | O_CLOEXEC;
  how.resolve = kBeneath;
  return static_cast<int>(syscall(SYS_openat2, dir, path, &how, sizeof how));
}

// The path relative to the root: without its leading slashes ("" for the root itself).
std::string relative(const std::string& path) {
  auto start = path.find_first_not_of('/');
  return start == std::string::npos ? "" : path.substr(start);
}

// Gives what set-up just created inside a bind to the payload: its own files, not root's.
bool giveToCreator(int fd, const Creator* creator) {
  struct stat st {};
  if (!creator || fstat(fd, &st) != 0 || st.st_dev == creator->stagingDevice) return true;
  return fchownat(fd, "", creator->uid, creator->gid, AT_EMPTY_PATH) == 0;
}

}  // namespace

std::string beneathError(const std::string& what, int e) {
  switch (e) {
    case ELOOP:
      return fmt::format(
          "{}: a symbolic link is on the path inside the sandbox; refused (a mount point is never "
          "looked up through a link)",
          what);
    case ENOTDIR:
      return fmt::format("{}: something on the path inside the sandbox is not a directory; refused", what);
    case EISDIR:
      return fmt::format("{}: a directory is where a file is bound; refused", what);
    case EXDEV:
      return fmt::format("{}: the path leaves the sandbox's root; refused", what);
    default:
      return fmt::format("{}: {}", what, std::strerror(e));
  }
}

std::string missingInHostBind(const std::string& what, const std::string& missing, const std::string& hostBind) {
  return fmt::format(
      "{}: {} does not exist inside the bind of {}, and sbx-run makes no mount point inside a bind of a host "
      "directory (a read-only bind cannot be written; in a writable one it would write to the host); create {} on "
      "the host, or remove the grant",
      what, missing, hostBind, missing);
}

int openBeneath(int root, const std::string& path) {
  std::string rel = relative(path);
  return openat2Beneath(root, rel.empty() ? "." : rel.c_str(), 0);
}

int openDirectoryBeneath(int root, const std::string& path, const Creator* creator, const std::string& what,
                         std::string& error) {
  int dir = fcntl(root, F_DUPFD_CLOEXEC, 0);
  std::string rel = relative(path);
  for (std::size_t start = 0; dir >= 0 && start < rel.size();) {
    std::size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    std::string name = rel.substr(start, end - start);
    start = end + 1;
    if (name.empty()) continue;
    int next = openat2Beneath(dir, name.c_str(), O_DIRECTORY);
    if (next < 0 && errno == ENOENT && creator && !creator->hostBind.empty()) {
      error = missingInHostBind(what, "/" + rel.substr(0, end), creator->hostBind);
      ::close(dir);
      return -1;
    }
    if (next < 0 && errno == ENOENT) {
      // Created relative to the parent's descriptor: never through a link, never outside.
      bool created = mkdirat(dir, name.c_str(), 0755) == 0;
      if (!created && errno != EEXIST) {
        error = fmt::format("{}: create {}: {}", what, name, std::strerror(errno));
        ::close(dir);
        return -1;
      }
      next = openat2Beneath(dir, name.c_str(), O_DIRECTORY);
      if (next >= 0 && created && !giveToCreator(next, creator)) {
        error = fmt::format("{}: give {} to the payload: {}", what, name, std::strerror(errno));
        ::close(next);
        ::close(dir);
        return -1;
      }
    }
    int e = errno;
    ::close(dir);
    dir = next;
    errno = e;
  }
  if (dir < 0) error = beneathError(what, errno);
  return dir;
}

int openFileBeneath(int root, const std::string& path, const Creator* creator, const std::string& what,
                    std::string& error) {
  std::string rel = relative(path);
  auto slash = rel.rfind('/');
  std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    error = beneathError(what, EISDIR);
    return -1;
  }
  int parent = openDirectoryBeneath(root, slash == std::string::npos ? "" : rel.substr(0, slash), creator, what, error);
  if (parent < 0) return -1;
  int fd = openat2Beneath(parent, name.c_str(), 0);
  if (fd < 0 && errno == ENOENT && creator && !creator->hostBind.empty()) {
    error = missingInHostBind(what, "/" + rel, creator->hostBind);
    ::close(parent);
    return -1;
  }
  if (fd < 0 && errno == ENOENT) {
    // mknodat makes a regular file without opening it; EEXIST: someone made it first, looked
    // at below like any existing entry.
    bool created = mknodat(parent, name.c_str(), S_IFREG | 0644, 0) == 0;
    if (!created && errno != EEXIST) {
      error = fmt::format("{}: create the mount point: {}", what, std::strerror(errno));
      ::close(parent);
      return -1;
    }
    fd = openat2Beneath(parent, name.c_str(), 0);
    if (fd >= 0 && created && !giveToCreator(fd, creator)) {
      error = fmt::format("{}: give the mount point to the payload: {}", what, std::strerror(errno));
      ::close(fd);
      ::close(parent);
      return -1;
    }
  }
  int e = errno;
  ::close(parent);
  struct stat st {};
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    fd = -1;
    e = EISDIR;
  }
  if (fd < 0) error = beneathError(what, e);
  return fd;
}

}  // namespace sbx::run
