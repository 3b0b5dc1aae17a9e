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

#include "plan/mount_order.h"
#include "plan/plan_json.h"
#include "runtime/host_sockets.h"
#include "runtime/mount_tree.h"
#include "runtime/safe_path.h"
#include "runtime/tool_gates.h"
#include "util/sha256.h"
#include "util/workspace.h"

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

// The SHA-256 of the regular file `fd` (O_PATH) refers to, read through /proc/self/fd so the
// file hashed is the one that will be mounted; nullopt with `error` set when it cannot be read.
std::optional<std::string> digestOf(int fd, const std::string& what, std::string& error) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = fmt::format("{}: pinned to a digest, but not a regular file; refused", what);
    return std::nullopt;
  }
  int file = ::open(fmt::format("/proc/self/fd/{}", fd).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (file < 0) {
    error = failed("read " + what + " to check its digest");
    return std::nullopt;
  }
  Sha256 hash;
  char buffer[1 << 16];
  ssize_t n = 0;
  while ((n = ::read(file, buffer, sizeof buffer)) > 0) hash.update({buffer, static_cast<std::size_t>(n)});
  ::close(file);
  if (n < 0) {
    error = failed("read " + what + " to check its digest");
    return std::nullopt;
  }
  return hash.finishHex();
}

}  // namespace

bool checkPinnedDigest(const PlannedMount& m, int fd, std::string& error) {
  if (m.sha256.empty()) return true;
  auto actual = digestOf(fd, m.source, error);
  if (!actual) return false;
  if (*actual == m.sha256) return true;
  error = fmt::format(
      "{} (exec {}): the file's SHA-256 is {}, but the policy pins it to {}; refused to launch (install the program "
      "the policy names, or update its `sha256` after review)",
      m.source, m.target, *actual, m.sha256);
  return false;
}

int openMountSource(const PlannedMount& m, std::string& error) {
  if (m.workspaceRoot.empty()) return openWithoutSymlinks(m.source, error);
  int root = openWithoutSymlinks(m.workspaceRoot, error);
  if (root < 0) return -1;
  std::string inside = m.source.substr(m.workspaceRoot.size() + 1);
  int fd = openBeneath(root, inside);
  int e = errno;
  ::close(root);
  if (fd >= 0) return fd;
  if (e == ELOOP || e == EXDEV)
    error = fmt::format(
        "{} (workspace \"{}\"): a symbolic link is on the path inside the workspace; refused (the workspace's links "
        "are not followed: make it a directory or file)",
        m.source, inside);
  else if (e == ENOENT)
    error = fmt::format(
        "{} (workspace \"{}\"): no such file or directory in the workspace (create it, or remove the grant)", m.source,
        inside);
  else
    error = fmt::format("{} (workspace \"{}\"): {}", m.source, inside, std::strerror(e));
  return -1;
}

std::uint64_t mountAttributes(const PlannedMount& m) {
  std::uint64_t a = 0;
  if (m.readOnly) a |= MOUNT_ATTR_RDONLY;
  if (m.nosuid) a |= MOUNT_ATTR_NOSUID;
  if (m.nodev) a |= MOUNT_ATTR_NODEV;
  if (m.noexec) a |= MOUNT_ATTR_NOEXEC;
  return a;
}

namespace {

// Attaches the detached mount `tree` onto the mount point `target` (a descriptor): the mount
// lands on what was resolved, whatever the path names by now.
bool attach(int tree, int target, const std::string& what, std::string& error) {
  if (syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0)
    return true;
  error = failed("mount " + what);
  return false;
}

// Clones the tree under `source`, sets its attributes on every submount, and attaches it onto
// `target`.
bool bindOnto(int source, int target, std::uint64_t attrs, const std::string& what, std::string& error) {
  int tree = static_cast<int>(
      syscall(SYS_open_tree, source, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
  if (tree < 0) {
    error = failed("open_tree " + what);
    return false;
  }
  mount_attr attr{};
  attr.attr_set = attrs;
  attr.propagation = MS_PRIVATE;
  bool ok = syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0;
  if (!ok) error = failed("bind " + what);
  ok = ok && attach(tree, target, what, error);
  ::close(tree);
  return ok;
}

// A tmpfs made with fsopen/fsconfig/fsmount and attached onto `target` (a descriptor).
bool tmpfsOnto(int target, std::uint64_t size, const char* mode, std::uint64_t attrs, const std::string& what,
               std::string& error) {
  int fs = static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
  std::string sizeText = std::to_string(size);
  bool ok = fs >= 0 && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", mode, 0) == 0 &&
            (size == 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", sizeText.c_str(), 0) == 0) &&
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0;
  int mount = ok ? static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs)) : -1;
  if (mount < 0) error = failed("tmpfs " + what);
  ok = mount >= 0 && attach(mount, target, what, error);
  if (mount >= 0) ::close(mount);
  if (fs >= 0) ::close(fs);
  return ok;
}

// The mount point of a bind of `source`: a directory, or a file for a file source.
int mountPointFor(int root, int source, const std::string& target, const Creator* creator, std::string& error) {
  struct stat st {};
  if (fstat(source, &st) != 0) {
    error = failed("stat the source of " + target);
    return -1;
  }
  return S_ISDIR(st.st_mode) ? openDirectoryBeneath(root, target, creator, target, error)
                             : openFileBeneath(root, target, creator, target, error);
}

bool bindHostPath(int root, const std::string& source, const std::string& target, std::uint64_t attrs,
                  std::string& error) {
  int fd = openWithoutSymlinks(source, error);
  if (fd < 0) return false;
  int point = mountPointFor(root, fd, target, nullptr, error);
  bool ok = point >= 0 && bindOnto(fd, point, attrs, target, error);
  if (point >= 0) ::close(point);
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

// vm.memfd_noexec = 2 in the sandbox's PID namespace (kernel 6.3+; a namespace can only raise
// it): no memfd is executable, so a program copied into memory cannot be run where every
// writable path is noexec. Writing it needs CAP_SYS_ADMIN over the namespace (init has it) and,
// /proc/sys being the host's root's, a root init: rootless, the write fails (EACCES) and the
// payload loads a filter instead (hardening.h: refuseExecutableMemfds).
void forbidExecutableMemfds(const std::string& proc) {
  int fd = ::open((proc + "/sys/vm/memfd_noexec").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  [[maybe_unused]] auto written = ::write(fd, "2", 1);
  ::close(fd);
}

// Init shares the launcher's memory (init.h), so /proc/1/cmdline and environ are the launcher's
// argv and environment (the policy's and the workspace's host paths among them): /dev/null covers
// them, for the process and its thread. Giving init a neutral argv with PR_SET_MM_MAP would
// rewrite the launcher's own command line on the host too (one mm); hidepid would hide init but
// also the tools' gated processes, which the payload may watch. Init is PID 1 for as long as the
// sandbox lives, so the entries (and the mounts on them) stay.
bool coverInitsCommandLine(int root, int devNull, std::string& error) {
  for (const char* path : {"/proc/1/cmdline", "/proc/1/environ", "/proc/1/task/1/cmdline", "/proc/1/task/1/environ"}) {
    int fd = openBeneath(root, path);
    bool ok = fd >= 0 && bindOnto(devNull, fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, path, error);
    if (fd < 0) error = failed(path);
    if (fd >= 0) ::close(fd);
    if (!ok) return false;
  }
  return true;
}

bool mountProc(int root, int devNull, const std::string& rootPath, bool noExecFromWritable, std::string& error) {
  std::string proc = rootPath + "/proc";
  int point = openDirectoryBeneath(root, "/proc", nullptr, "/proc", error);
  if (point < 0) return false;
  ::close(point);
  if (::mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    error = failed("mount /proc");
    return false;
  }
  if (noExecFromWritable) forbidExecutableMemfds(proc);  // before /proc/sys is read-only
  // /proc/sys read-only; /proc/sysrq-trigger read-only (bound onto itself).
  for (const char* path : {"/sys", "/sysrq-trigger"}) {  // a kernel without magic SysRq has no trigger
    int fd = openBeneath(root, std::string("/proc") + path);
    if (fd < 0 && errno == ENOENT) continue;
    bool ok = fd >= 0 && bindOnto(fd, fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                                  std::string("/proc") + path, error);
    if (fd < 0) error = failed(std::string("/proc") + path);
    if (fd >= 0) ::close(fd);
    if (!ok) return false;
  }
  return coverInitsCommandLine(root, devNull, error);
}

// A minimal /dev: the harmless character devices, a private devpts, /dev/shm, and the usual links.
// The tmpfs is read-only once populated: rootless, init made it as the payload's user, who would
// otherwise own /dev and could add to it or chmod it.
bool mountDev(int root, const std::string& rootPath, std::string& error) {
  std::string dev = rootPath + "/dev";
  if (!mountTmpfs(dev, 1 << 20, "0755", MS_NOSUID | MS_NOEXEC, error)) return false;
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"})
    if (!bindHostPath(root, fmt::format("/dev/{}", node), fmt::format("/dev/{}", node),
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
  if (::mount(nullptr, dev.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, nullptr) != 0) {
    error = failed("make /dev read-only");
    return false;
  }
  return true;
}

// A masked path: an empty read-only tmpfs over a directory, /dev/null over anything else (a file,
// a FIFO, a socket, a device node: looked at with O_PATH only, never opened). Masks of paths that
// do not exist in the sandbox hide nothing and are skipped; a symbolic link at or on the way to
// a masked path is refused (it could name anything, and masking it hides nothing), and so is a
// regular file with other names (hard links), which would show it.
bool mask(int root, int devNull, const std::string& target, std::string& error) {
  int fd = openBeneath(root, target);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return true;
    error = "mask " + beneathError(target, errno);
    return false;
  }
  struct stat st {};
  bool ok = fstat(fd, &st) == 0;
  if (!ok) error = failed("mask " + target);
  // A mask covers a name: another name of the same file (a hard link an earlier run left, which
  // the user then wrote the secret through) would show what it hides.
  if (ok && S_ISREG(st.st_mode) && st.st_nlink > 1) {
    ok = false;
    error = fmt::format(
        "mask {}: the file has {} names (hard links) and the mask would hide only this one; refused (remove the "
        "other links, or mask every name)",
        target, st.st_nlink);
  }
  if (ok && S_ISDIR(st.st_mode))
    ok = tmpfsOnto(fd, 4096, "0000", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                   "mask " + target, error);
  else if (ok)
    ok = bindOnto(devNull, fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "mask " + target, error);
  ::close(fd);
  return ok;
}

// A directory on the staging tmpfs itself (secrets, tool gates: built there by path), refused
// when a bind the plan put on the way holds it.
bool stagingDirectory(int root, const std::string& target, const Creator& creator, std::string& error) {
  if (!creator.hostBind.empty()) {  // refused before anything is created in the bind
    error = fmt::format("{}: lies inside a bind mount of the plan ({}); refused", target, creator.hostBind);
    return false;
  }
  int fd = openDirectoryBeneath(root, target, nullptr, target, error);
  if (fd < 0) return false;
  struct stat st {};
  bool staging = fstat(fd, &st) == 0 && st.st_dev == creator.stagingDevice;
  ::close(fd);
  if (!staging) error = fmt::format("{}: lies inside a bind mount of the plan; refused", target);
  return staging;
}

// A declared path that is a symbolic link on the host: the same link in the sandbox. Where the
// cover already shows it (the host's link, seen through a bind of its directory) nothing is done;
// a different entry there is refused.
bool placeSymlink(int root, const PlannedMount& m, const Creator& creator, std::string& error) {
  auto slash = m.target.rfind('/');
  std::string name = m.target.substr(slash + 1);
  int parent = openDirectoryBeneath(root, m.target.substr(0, slash), &creator, m.target, error);
  if (parent < 0) return false;
  char text[4096];
  ssize_t n = readlinkat(parent, name.c_str(), text, sizeof text);
  int e = errno;
  bool ok = false;
  if (n >= 0 && std::string(text, static_cast<std::size_t>(n)) == m.linkTarget)
    ok = true;  // already there, as granted
  else if (n >= 0)
    error = fmt::format("symlink {}: the sandbox shows a link to `{}` there, not the host's `{}`; refused", m.target,
                        std::string(text, static_cast<std::size_t>(n)), m.linkTarget);
  else if (e == EINVAL)
    error = fmt::format("symlink {}: the sandbox shows something other than a link there; refused", m.target);
  else if (e == ENOENT && !creator.hostBind.empty())
    error = missingInHostBind("symlink " + m.target, m.target, creator.hostBind);
  else if (e != ENOENT)
    error = fmt::format("symlink {}: {}", m.target, std::strerror(e));
  else if (!(ok = symlinkat(m.linkTarget.c_str(), parent, name.c_str()) == 0))
    error = failed("symlink " + m.target);
  ::close(parent);
  return ok;
}

// A bind of a host path, over the entry its cover shows there (created only where mount_tree.h
// allows); nothing when that entry is the source itself, shown with the same flags.
bool placeBind(int root, PlannedMount& m, const PlannedMount* cover, const Creator& creator, std::string& error) {
  int point = mountPointFor(root, m.fd, m.target, &creator, error);
  struct stat shown {
  }, source{};
  bool covered = point >= 0 && coverHasSameFlags(m, cover) && fstat(point, &shown) == 0 && fstat(m.fd, &source) == 0 &&
                 shown.st_dev == source.st_dev && shown.st_ino == source.st_ino;
  bool ok = point >= 0 && (covered || (m.tree >= 0 ? attach(m.tree, point, m.target, error)
                                                   : bindOnto(m.fd, point, mountAttributes(m), m.target, error)));
  if (point >= 0) ::close(point);
  ::close(m.fd);
  m.fd = -1;
  if (m.tree >= 0) ::close(m.tree);
  m.tree = -1;
  return ok;
}

// A scratch tmpfs goes over a directory: a file or a device there (shown by the bind of its
// parent) is refused, saying so. A link there is refused when the point is resolved.
bool scratchPointIsDirectory(int root, const std::string& target, std::string& error) {
  int fd = openBeneath(root, target);
  struct stat st {};
  bool other = fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
  if (fd >= 0) ::close(fd);
  if (other)
    error = fmt::format("scratch {}: the sandbox shows a file there, and a scratch tmpfs needs a directory; refused",
                        target);
  return !other;
}

// One planned mount, its mount point resolved beneath `root` by descriptors (safe_path.h), inside
// `cover` (mount_tree.h; null: the staging root).
bool placeMount(int root, const std::string& rootPath, PlannedMount& m, const PlannedMount* cover, Creator creator,
                std::string& error) {
  creator.hostBind = hostBindHolding(cover);
  if (m.type == "symlink") return placeSymlink(root, m, creator, error);
  if (m.type == "tmpfs") {
    if (!scratchPointIsDirectory(root, m.target, error)) return false;
    int point = openDirectoryBeneath(root, m.target, &creator, m.target, error);
    bool ok = point >= 0 &&
              tmpfsOnto(point, m.sizeBytes, "1777",
                        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m.noexec ? MOUNT_ATTR_NOEXEC : 0), m.target, error);
    if (point >= 0) ::close(point);
    return ok;
  }
  if (m.type == "secrets")
    return stagingDirectory(root, m.target, creator, error) && mountSecrets(rootPath + m.target, m, error);
  if (m.type == "tool-gates")
    return stagingDirectory(root, m.target, creator, error) && buildToolGates(rootPath, m.target, *m.gates, error);
  if (m.fd < 0) return true;  // masks come after /proc and /dev
  return placeBind(root, m, cover, creator, error);
}

}  // namespace

bool prepareMounts(const plan::Plan& plan, const std::string& workspace, std::vector<PlannedMount>& out,
                   std::string& error) {
  for (const auto& m : plan.mounts) {
    PlannedMount p;
    p.type = plan::nameOf(m.type);
    p.source = m.source;
    p.target = m.target;
    p.readOnly = m.readOnly;
    p.nosuid = m.nosuid;
    p.nodev = m.nodev;
    p.noexec = m.noexec;
    p.sizeBytes = m.sizeBytes.value_or(0);
    p.sha256 = m.sha256;
    if (p.type == "workspace") {
      if (workspace.empty()) {
        error = "the task has a workspace: give the host directory with --workspace DIR";
        return false;
      }
      p.source = workspace;
      std::string_view root = kWorkspaceMountPoint;
      if (p.target != root) {  // a path inside the workspace: opened beneath it
        if (!plan::pathWithin(p.target, std::string(root))) {
          error = fmt::format("plan.json: workspace mount target `{}` is not inside {}", p.target, root);
          return false;
        }
        p.workspaceRoot = workspace;
        p.source = workspace + p.target.substr(root.size());
      }
    }
    if (p.target.empty() || p.target[0] != '/') {
      error = fmt::format("plan.json: mount target `{}` is not absolute", p.target);
      return false;
    }
    if (p.type == "bind" || p.type == "workspace" || p.type == "device") {
      // Checked here, in the launcher, so that a missing or symlinked path is reported before
      // anything starts; the sandbox opens it again the same way.
      int fd = openMountSource(p, error);
      auto link = fd < 0 && p.type == "bind" && p.sha256.empty() ? finalSymlink(p.source) : std::nullopt;
      if (link) {
        p.type = "symlink";
        p.linkTarget = *link;
        p.source.clear();
        error.clear();
      } else if (fd < 0) {
        return false;
      }
      bool pinned = fd < 0 || checkPinnedDigest(p, fd, error);
      if (fd >= 0) ::close(fd);
      if (!pinned) return false;
    }
    out.push_back(std::move(p));
  }
  return maskHostSockets(out, error);
}

bool buildRoot(std::vector<PlannedMount>& mounts, const Identity& payload, std::string& error) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    error = failed("make / private");
    return false;
  }
  // Open every source before the staging tmpfs hides the host's /tmp.
  // A pinned executable is checked again on the descriptor that is mounted: the file the payload
  // runs is the one hashed.
  for (auto& m : mounts)
    if (!m.source.empty() && ((m.fd = openMountSource(m, error)) < 0 || !checkPinnedDigest(m, m.fd, error)))
      return false;
  int devNull = openWithoutSymlinks("/dev/null", error);
  if (devNull < 0 || !mountTmpfs(kStage, 16 << 20, "0755", MS_NOSUID | MS_NODEV, error)) return false;
  std::string rootPath = kStage;
  // The new root as a descriptor: every mount point is resolved beneath it (safe_path.h).
  auto openRoot = [&] { return ::open(kStage, O_PATH | O_DIRECTORY | O_CLOEXEC); };
  int root = openRoot();
  struct stat staging {};
  if (root < 0 || fstat(root, &staging) != 0) {
    error = failed("open the new root");
    return false;
  }
  Creator creator{payload.uid, payload.gid, staging.st_dev, ""};
  bool ok = true;
  std::vector<std::size_t> order = placementOrder(mounts);
  for (std::size_t position = 0; position < order.size(); ++position) {
    PlannedMount& m = mounts[order[position]];
    if (!(ok = placeMount(root, rootPath, m, coveringMount(mounts, order, position), creator, error))) break;
    if (m.target.find_first_not_of('/') == std::string::npos) {  // a mount over the root itself
      ::close(root);
      if ((root = openRoot()) < 0) {
        error = failed("open the new root");
        return false;
      }
    }
  }
  // No exec from writable paths (each writable mount noexec): no exec from anonymous memory either.
  bool noExecFromWritable = true;
  for (const auto& m : mounts) noExecFromWritable &= m.readOnly || m.noexec;
  ok = ok && mountProc(root, devNull, rootPath, noExecFromWritable, error) && mountDev(root, rootPath, error);
  for (std::size_t index : order)
    if (ok && mounts[index].type == "mask") ok = mask(root, devNull, mounts[index].target, error);
  ::close(root);
  ::close(devNull);
  if (!ok) return false;

  // Enter the new root; the old one is detached and unreachable from inside.
  if (chdir(rootPath.c_str()) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 ||
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
