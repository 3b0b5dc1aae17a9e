#include "util/private_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace sbx {

namespace {

// Why `st` (the directory `shown`) may not be a parent of a trusted directory; empty when it may.
std::string unfitParent(const struct stat& st, const std::string& shown, uid_t me) {
  if (st.st_uid != 0 && st.st_uid != me)
    return fmt::format("{} belongs to uid {}, not to root or to the running user (uid {})", shown, st.st_uid, me);
  bool othersWrite = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  // Sticky (like /tmp), its owner root or the user: nobody else can rename or remove what is in it.
  if (othersWrite && !(st.st_mode & S_ISVTX))
    return fmt::format("{} is writable by its group or by others (mode {:o})", shown, st.st_mode & 07777);
  return "";
}

std::string unfitOwn(const struct stat& st, const std::string& shown, uid_t me) {
  if (st.st_uid != me)
    return fmt::format("{} belongs to uid {}, not to the running user (uid {})", shown, st.st_uid, me);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fmt::format("{} is writable by its group or by others (mode {:o})", shown, st.st_mode & 07777);
  return "";
}

}  // namespace

int openPrivateDirectory(const std::string& path, bool create, std::string& error) {
  if (path.empty() || path[0] != '/') {
    error = fmt::format("`{}` is not an absolute directory path", path);
    return -1;
  }
  uid_t me = geteuid();
  int fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  std::string shown = "/";
  std::string_view rest = path;
  auto refuse = [&](std::string why) {
    error = fmt::format("refusing the directory {}: {}", path, why);
    if (fd >= 0) ::close(fd);
    return -1;
  };
  if (fd < 0) return refuse(fmt::format("cannot open /: {}", std::strerror(errno)));
  while (!rest.empty()) {
    rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of('/')));
    if (rest.empty()) break;
    std::string name(rest.substr(0, rest.find('/')));
    rest.remove_prefix(name.size());
    if (name == ".") continue;
    if (name == "..") return refuse("it contains `..`");
    bool last = rest.find_first_not_of('/') == std::string_view::npos;
    struct stat st {};
    if (fstat(fd, &st) != 0) return refuse(fmt::format("cannot stat {}: {}", shown, std::strerror(errno)));
    if (auto why = unfitParent(st, shown, me); !why.empty()) return refuse(why);
    shown = (shown == "/" ? "/" : shown + "/") + name;
    int flags = (last ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int next = ::openat(fd, name.c_str(), flags);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(fd, name.c_str(), 0700) != 0 && errno != EEXIST)
        return refuse(fmt::format("cannot create {}: {}", shown, std::strerror(errno)));
      next = ::openat(fd, name.c_str(), flags);
    }
    if (next < 0) {
      int e = errno;
      struct stat entry {};  // an unreadable directory of someone else's: say whose
      if (e == EACCES && fstatat(fd, name.c_str(), &entry, AT_SYMLINK_NOFOLLOW) == 0)
        if (auto why = last ? unfitOwn(entry, shown, me) : unfitParent(entry, shown, me); !why.empty())
          return refuse(why);
      return refuse(e == ELOOP || e == ENOTDIR ? fmt::format("{} is a symbolic link or not a directory", shown)
                                               : fmt::format("{}: {}", shown, std::strerror(e)));
    }
    ::close(fd);
    fd = next;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) return refuse(fmt::format("cannot stat it: {}", std::strerror(errno)));
  if (auto why = unfitOwn(st, shown, me); !why.empty()) return refuse(why);
  return fd;
}

}  // namespace sbx
