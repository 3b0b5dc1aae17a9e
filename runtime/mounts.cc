#include "runtime/mounts.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "runtime/host_sockets.h"
#include "runtime/safe_path.h"
#include "runtime/tool_gates.h"

namespace sbx::run {

namespace {

// The staging directory the new root is built in: a tmpfs mounted over /tmp, visible only in the
// sandbox's own mount namespace (sources are opened before it hides the host's /tmp).
constexpr const char* kStage = "/tmp";

std::string failed(const std::string& what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

bool mkdirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  return !ec;
}

// Creates the mount point inside the new root: a directory, or an empty file for a file source.
bool makeMountPoint(const std::string& path, bool directory) {
  if (directory) return mkdirs(path);
  if (!mkdirs(std::filesystem::path(path).parent_path().string())) return false;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno == EEXIST || errno == ENXIO;  // ENXIO: a socket is there (host_sockets.h)
  ::close(fd);
  return true;
}

std::uint64_t attributes(const PlannedMount& m) {
  std::uint64_t a = 0;
  if (m.readOnly) a |= MOUNT_ATTR_RDONLY;
  if (m.nosuid) a |= MOUNT_ATTR_NOSUID;
  if (m.nodev) a |= MOUNT_ATTR_NODEV;
  if (m.noexec) a |= MOUNT_ATTR_NOEXEC;
  return a;
}

// Clones the tree under `fd`, sets its attributes on every submount, and attaches it at `target`.
bool bindTree(int fd, const std::string& target, std::uint64_t attrs, std::string& error) {
  int tree = static_cast<int>(
      syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
  if (tree < 0) {
    error = failed("open_tree " + target);
    return false;
  }
  mount_attr attr{};
  attr.attr_set = attrs;
  attr.propagation = MS_PRIVATE;
  bool ok = syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0 &&
            syscall(SYS_move_mount, tree, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) == 0;
  if (!ok) error = failed("bind " + target);
  ::close(tree);
  return ok;
}

bool bindHostPath(const std::string& source, const std::string& target, std::uint64_t attrs, std::string& error) {
  int fd = openWithoutSymlinks(source, error);
  if (fd < 0) return false;
  struct stat st {};
  fstat(fd, &st);
  bool ok = makeMountPoint(target, S_ISDIR(st.st_mode)) && bindTree(fd, target, attrs, error);
  if (error.empty() && !ok) error = failed("mount point " + target);
  ::close(fd);
  return ok;
}

bool mountTmpfs(const std::string& target, std::uint64_t size, const char* mode, unsigned long flags,
                std::string& error) {
  std::string options = fmt::format("mode={}{}", mode, size ? fmt::format(",size={}", size) : "");
  if (!mkdirs(target) || ::mount("tmpfs", target.c_str(), "tmpfs", flags, options.c_str()) != 0) {
    error = failed("tmpfs " + target);
    return false;
  }
  return true;
}

// The broker's tokens: a private tmpfs whose files are 0400 and owned by the payload, the
// directory 0500, then the whole mount read-only.
bool mountSecrets(const std::string& target, const PlannedMount& m, std::string& error) {
  constexpr unsigned long kFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (!mountTmpfs(target, 1 << 20, "0700", kFlags, error)) return false;
  for (const auto& f : m.files) {
    std::string path = target + "/" + f.name;
    if (!f.link.empty()) {
      if (symlink(f.link.c_str(), path.c_str()) != 0 || lchown(path.c_str(), m.owner, m.group) != 0) {
        error = failed("link the token " + m.target + "/" + f.name);
        return false;
      }
      continue;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    bool ok = fd >= 0 && ::write(fd, f.content.data(), f.content.size()) == static_cast<ssize_t>(f.content.size()) &&
              fchown(fd, m.owner, m.group) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) {
      error = failed("write the token " + m.target + "/" + f.name);
      return false;
    }
  }
  if (chown(target.c_str(), m.owner, m.group) != 0 || chmod(target.c_str(), 0500) != 0 ||
      ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | kFlags, nullptr) != 0) {
    error = failed("seal " + m.target);
    return false;
  }
  return true;
}

bool mountProc(const std::string& root, std::string& error) {
  std::string proc = root + "/proc";
  if (!mkdirs(proc) || ::mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    error = failed("mount /proc");
    return false;
  }
  // /proc/sys read-only; /proc/sysrq-trigger read-only (bound onto itself).
  for (const char* path : {"/sys", "/sysrq-trigger"})  // a kernel without magic SysRq has no trigger
    if (access((proc + path).c_str(), F_OK) == 0 &&
        !bindHostPath(proc + path, proc + path,
                      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, error))
      return false;
  return true;
}

// A minimal /dev: the harmless character devices, a private devpts, /dev/shm, and the usual links.
bool mountDev(const std::string& root, std::string& error) {
  std::string dev = root + "/dev";
  if (!mountTmpfs(dev, 1 << 20, "0755", MS_NOSUID | MS_NOEXEC, error)) return false;
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"})
    if (!bindHostPath(fmt::format("/dev/{}", node), fmt::format("{}/{}", dev, node),
                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, error))
      return false;
  std::string pts = dev + "/pts";
  if (!mkdirs(pts) ||
      ::mount("devpts", pts.c_str(), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0) {
    error = failed("mount /dev/pts");
    return false;
  }
  if (!mountTmpfs(dev + "/shm", 64 << 20, "1777", MS_NOSUID | MS_NODEV | MS_NOEXEC, error)) return false;
  const std::pair<const char*, const char*> links[] = {{"pts/ptmx", "ptmx"},
                                                       {"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& [to, name] : links)
    if (symlink(to, (dev + "/" + name).c_str()) != 0) {
      error = failed(fmt::format("/dev/{}", name));
      return false;
    }
  return true;
}

// A masked path: an empty read-only tmpfs over a directory, /dev/null over a file. Masks of
// paths that do not exist in the sandbox hide nothing and are skipped.
bool mask(const std::string& target, std::string& error) {
  struct stat st {};
  if (lstat(target.c_str(), &st) != 0) return true;
  if (S_ISDIR(st.st_mode)) return mountTmpfs(target, 4096, "0000", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, error);
  return bindHostPath("/dev/null", target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, error);
}

}  // namespace

bool prepareMounts(const nlohmann::json& plan, const std::string& workspace, std::vector<PlannedMount>& out,
                   std::string& error) {
  for (const auto& m : plan.value("mounts", nlohmann::json::array())) {
    PlannedMount p;
    p.type = m.value("type", "");
    p.source = m.value("source", "");
    p.target = m.value("target", "");
    p.readOnly = m.value("readOnly", true);
    p.nosuid = m.value("nosuid", true);
    p.nodev = m.value("nodev", true);
    p.noexec = m.value("noexec", false);
    p.sizeBytes = m.value("sizeBytes", std::uint64_t{0});
    if (p.type == "workspace") {
      if (workspace.empty()) {
        error = "the task has a workspace: give the host directory with --workspace DIR";
        return false;
      }
      p.source = workspace;
    }
    if (p.target.empty() || p.target[0] != '/') {
      error = fmt::format("plan.json: mount target `{}` is not absolute", p.target);
      return false;
    }
    if (p.type == "bind" || p.type == "workspace" || p.type == "device") {
      // Checked here, in the launcher, so that a missing or symlinked path is reported before
      // anything starts; the sandbox opens it again the same way.
      int fd = openWithoutSymlinks(p.source, error);
      auto link = fd < 0 && p.type == "bind" ? finalSymlink(p.source) : std::nullopt;
      if (link) {
        p.type = "symlink";
        p.linkTarget = *link;
        p.source.clear();
        error.clear();
      } else if (fd < 0) {
        return false;
      }
      if (fd >= 0) ::close(fd);
    }
    out.push_back(std::move(p));
  }
  return maskHostSockets(out, error);
}

bool buildRoot(std::vector<PlannedMount>& mounts, std::string& error) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    error = failed("make / private");
    return false;
  }
  // Open every source before the staging tmpfs hides the host's /tmp.
  for (auto& m : mounts)
    if (!m.source.empty() && (m.fd = openWithoutSymlinks(m.source, error)) < 0) return false;
  if (!mountTmpfs(kStage, 16 << 20, "0755", MS_NOSUID | MS_NODEV, error)) return false;
  std::string root = kStage;
  for (auto& m : mounts) {
    std::string target = root + m.target;
    if (m.type == "symlink") {
      if (!mkdirs(std::filesystem::path(target).parent_path().string()) ||
          symlink(m.linkTarget.c_str(), target.c_str()) != 0) {
        error = failed("symlink " + m.target);
        return false;
      }
    } else if (m.type == "tmpfs") {
      unsigned long flags = MS_NOSUID | MS_NODEV | (m.noexec ? MS_NOEXEC : 0);
      if (!mountTmpfs(target, m.sizeBytes, "1777", flags, error)) return false;
    } else if (m.type == "secrets") {
      if (!mountSecrets(target, m, error)) return false;
    } else if (m.type == "tool-gates") {
      if (!buildToolGates(root, m.target, *m.gates, error)) return false;
    } else if (m.fd >= 0) {
      struct stat st {};
      fstat(m.fd, &st);
      if (!makeMountPoint(target, S_ISDIR(st.st_mode))) {
        error = failed("mount point " + m.target);
        return false;
      }
      if (!bindTree(m.fd, target, attributes(m), error)) return false;
      ::close(m.fd);
      m.fd = -1;
    }
  }
  if (!mountProc(root, error) || !mountDev(root, error)) return false;
  for (const auto& m : mounts)
    if (m.type == "mask" && !mask(root + m.target, error)) return false;

  // Enter the new root; the old one is detached and unreachable from inside.
  if (chdir(root.c_str()) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 ||
      chdir("/") != 0) {
    error = failed("pivot_root");
    return false;
  }
  // The root itself is read-only: only the planned writable mounts accept writes.
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    error = failed("make / read-only");
    return false;
  }
  return true;
}

}  // namespace sbx::run
