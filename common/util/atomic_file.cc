#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdio>  // renameat2, RENAME_NOREPLACE

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace sbx {
namespace fs = std::filesystem;

namespace {

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Why opening `name` in `dirFd` as a directory failed: a link, not a directory, or errno's text.
std::string directoryProblem(int dirFd, const std::string& name, int error) {
  struct stat st {};
  if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) return "is a symbolic link; sbxc does not write through links";
    if (!S_ISDIR(st.st_mode)) return "is not a directory";
  }
  return std::strerror(error);
}

std::string withoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path.empty() ? "." : path;
}

// A staged temporary, renamed into place by commit().
struct Staged {
  const DirectoryHandle* dir;
  std::string name, temp, display;
};

void discard(const std::vector<Staged>& staged) {
  for (const auto& s : staged) ::unlinkat(s.dir->fd(), s.temp.c_str(), 0);
}

bool stage(const DirectoryHandle& dir, const std::string& name, const std::string& display, std::string_view contents,
           const KeptIdentity& identity, std::vector<Staged>& staged, std::string& error) {
  struct stat existing {};
  if (::fstatat(dir.fd(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(existing.st_mode)) {
      error = fmt::format("`{}` is a symbolic link; sbxc does not replace links (give the file it points to)", display);
      return false;
    }
    if (!S_ISREG(existing.st_mode)) {
      error = fmt::format("`{}` exists and is not a regular file", display);
      return false;
    }
  }
  int fd = -1;
  std::string temp;
  for (int attempt = 0; fd < 0 && attempt < 8; ++attempt) {
    temp = temporaryName(name);
    fd = ::openat(dir.fd(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    error = fmt::format("cannot write `{}`: {}", display, std::strerror(errno));
    return false;
  }
  staged.push_back({&dir, name, temp, display});
  // The owner is changed only where it differs: a user may not give a file away, but keeps it.
  struct stat created {};
  bool ok = writeAll(fd, contents) && ::fstat(fd, &created) == 0 &&
            (!identity.keepOwner || (created.st_uid == identity.uid && created.st_gid == identity.gid) ||
             ::fchown(fd, identity.uid, identity.gid) == 0) &&
            ::fchmod(fd, identity.mode) == 0 && ::fsync(fd) == 0;
  int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) error = fmt::format("cannot write `{}`: {}", display, std::strerror(saved));
  return ok;
}

bool commit(std::vector<Staged>& staged, std::string& error) {
  for (std::size_t i = 0; i < staged.size(); ++i) {
    const Staged& s = staged[i];
    if (::renameat(s.dir->fd(), s.temp.c_str(), s.dir->fd(), s.name.c_str()) != 0) {
      error = fmt::format("cannot rename into `{}`: {}", s.display, std::strerror(errno));
      discard(std::vector<Staged>(staged.begin() + static_cast<std::ptrdiff_t>(i), staged.end()));
      return false;
    }
  }
  for (const auto& s : staged) ::fsync(s.dir->fd());
  return true;
}

}  // namespace

std::string temporaryName(const std::string& name) {
  unsigned char random[8] = {};
  std::size_t got = 0;
  while (got < sizeof random) {
    ssize_t n = ::getrandom(random + got, sizeof random - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // never on Linux 3.17+: the pool is initialised at boot
    got += static_cast<std::size_t>(n);
  }
  std::string hex;
  for (unsigned char byte : random) hex += fmt::format("{:02x}", byte);
  return fmt::format(".{}.sbxc-{}", name, hex);
}

DirectoryHandle::~DirectoryHandle() {
  if (fd_ >= 0) ::close(fd_);
}

DirectoryHandle::DirectoryHandle(DirectoryHandle&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

DirectoryHandle& DirectoryHandle::operator=(DirectoryHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

bool DirectoryHandle::open(const std::string& named, bool create, bool refuseLink, DirectoryHandle& out,
                           std::string& error) {
  std::string path = withoutTrailingSlashes(named);
  if (create) {
    std::error_code ec;
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec || (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)) {
      error = fmt::format("cannot create directory `{}`: {}", path, ec ? ec.message() : std::strerror(errno));
      return false;
    }
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (refuseLink ? O_NOFOLLOW : 0));
  if (fd < 0) {
    error = fmt::format("cannot open directory `{}`: {}", path, directoryProblem(AT_FDCWD, path, errno));
    return false;
  }
  out = DirectoryHandle();
  out.fd_ = fd;
  out.path_ = path;
  return true;
}

bool DirectoryHandle::child(const std::string& name, bool create, DirectoryHandle& out, std::string& error) const {
  std::string display = (fs::path(path_) / name).string();
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    error = fmt::format("`{}` is not a directory name", display);
    return false;
  }
  if (create && ::mkdirat(fd_, name.c_str(), 0755) != 0 && errno != EEXIST) {
    error = fmt::format("cannot create directory `{}`: {}", display, std::strerror(errno));
    return false;
  }
  int fd = ::openat(fd_, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("cannot open directory `{}`: {}", display, directoryProblem(fd_, name, errno));
    return false;
  }
  out = DirectoryHandle();
  out.fd_ = fd;
  out.path_ = display;
  return true;
}

bool replaceFileAt(const DirectoryHandle& dir, const std::string& name, std::string_view contents,
                   const KeptIdentity& identity, std::string& error) {
  std::vector<Staged> staged;
  std::string display = (fs::path(dir.path()) / name).string();
  if (!stage(dir, name, display, contents, identity, staged, error)) {
    discard(staged);
    return false;
  }
  return commit(staged, error);
}

bool writeFilesAtomically(const std::vector<PendingFile>& files, std::string& error) {
  std::map<std::string, DirectoryHandle> directories;  // by path as given; nodes never move
  std::vector<Staged> staged;
  auto fail = [&] {
    discard(staged);
    return false;
  };
  // The directory handle for `dir`, opened once per write.
  auto directoryOf = [&](const PendingFile& file, const fs::path& dir) -> const DirectoryHandle* {
    std::string key = file.under + '\0' + dir.string();
    if (auto it = directories.find(key); it != directories.end()) return &it->second;
    DirectoryHandle handle;
    if (file.under.empty()) {
      if (!DirectoryHandle::open(dir.string(), true, false, handle, error)) return nullptr;
    } else {
      fs::path root = fs::path(withoutTrailingSlashes(file.under)).lexically_normal();
      fs::path relative = dir.lexically_normal().lexically_relative(root);
      if (relative.empty() || relative.begin()->string() == "..") {
        error = fmt::format("`{}` is not inside `{}`", file.path, file.under);
        return nullptr;
      }
      if (!DirectoryHandle::open(root.string(), true, true, handle, error)) return nullptr;
      for (const auto& part : relative) {
        if (part.string() == "." || part.empty()) continue;
        DirectoryHandle next;
        if (!handle.child(part.string(), true, next, error)) return nullptr;
        handle = std::move(next);
      }
    }
    return &directories.emplace(key, std::move(handle)).first->second;
  };
  for (const auto& file : files) {
    fs::path target = fs::path(file.path).lexically_normal();
    std::string name = target.filename().string();
    if (name.empty() || name == "." || name == "..") {
      error = fmt::format("`{}` is not a file name", file.path);
      return fail();
    }
    const DirectoryHandle* dir = directoryOf(file, target.parent_path());
    if (dir == nullptr) return fail();
    if (!stage(*dir, name, file.path, file.contents, {static_cast<mode_t>(file.mode)}, staged, error)) return fail();
  }
  return commit(staged, error);
}

bool createFilesAt(const DirectoryHandle& dir, const std::vector<NewFile>& files, std::string& error) {
  auto display = [&](const std::string& name) { return (fs::path(dir.path()) / name).string(); };
  for (const auto& file : files) {
    struct stat existing {};
    if (file.name.empty() || file.name == "." || file.name == ".." || file.name.find('/') != std::string::npos) {
      error = fmt::format("`{}` is not a file name", file.name);
      return false;
    }
    if (::fstatat(dir.fd(), file.name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
      error = fmt::format("`{}` already exists", display(file.name));
      return false;
    }
    if (errno != ENOENT) {
      error = fmt::format("cannot create `{}`: {}", display(file.name), std::strerror(errno));
      return false;
    }
  }
  std::vector<Staged> staged;
  for (const auto& file : files) {
    if (!stage(dir, file.name, display(file.name), file.contents, {}, staged, error)) {
      discard(staged);
      return false;
    }
  }
  // No-replace renames: a file that appeared since the check above stops the write, and the files
  // this call already put in place are removed again (they are ours: just created, by name, in the
  // directory's descriptor).
  // (A file system without RENAME_NOREPLACE says EINVAL: a hard link never replaces either.)
  auto placeNew = [&](const Staged& s) {
    if (::renameat2(dir.fd(), s.temp.c_str(), dir.fd(), s.name.c_str(), RENAME_NOREPLACE) == 0) return true;
    if (errno != EINVAL || ::linkat(dir.fd(), s.temp.c_str(), dir.fd(), s.name.c_str(), 0) != 0) return false;
    ::unlinkat(dir.fd(), s.temp.c_str(), 0);
    return true;
  };
  for (std::size_t i = 0; i < staged.size(); ++i) {
    const Staged& s = staged[i];
    if (!placeNew(s)) {
      error = errno == EEXIST ? fmt::format("`{}` already exists", s.display)
                              : fmt::format("cannot create `{}`: {}", s.display, std::strerror(errno));
      for (std::size_t j = 0; j < i; ++j) ::unlinkat(dir.fd(), staged[j].name.c_str(), 0);
      discard(std::vector<Staged>(staged.begin() + static_cast<std::ptrdiff_t>(i), staged.end()));
      return false;
    }
  }
  ::fsync(dir.fd());
  return true;
}

}  // namespace sbx
