#include "runtime/workspace_idmap.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "runtime/safe_path.h"

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

namespace sbx::run {

namespace {

// A user namespace whose only mapping sends the workspace owner's ids to the payload's: as a
// mount's idmapping, the owner's files show as the payload's, and the payload's writes are
// stored as the owner's. Its creator is a thread-like child (CLONE_VM, no fork's page copying)
// that waits until the launcher has written the maps and opened the namespace.
struct MappingChild {
  std::atomic<int> release{0};
  std::array<char, 16 * 1024> stack{};
};

int waitForRelease(void* arg) {
  auto* child = static_cast<MappingChild*>(arg);
  while (child->release.load() == 0) syscall(SYS_futex, &child->release, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  return 0;
}

bool writeProcFile(pid_t pid, const char* name, const std::string& text) {
  std::string path = fmt::format("/proc/{}/{}", pid, name);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0) ::close(fd);
  return ok;
}

int mappingNamespace(uid_t owner, gid_t ownerGroup, const Identity& payload, std::string& error) {
  MappingChild child;
  pid_t pid =
      clone(waitForRelease, child.stack.data() + child.stack.size(), CLONE_NEWUSER | CLONE_VM | SIGCHLD, &child);
  if (pid < 0) {
    error = fmt::format("cannot create the user namespace that ID-maps the workspace: {}", std::strerror(errno));
    return -1;
  }
  bool mapped = writeProcFile(pid, "uid_map", fmt::format("{} {} 1\n", owner, payload.uid)) &&
                writeProcFile(pid, "setgroups", "deny") &&
                writeProcFile(pid, "gid_map", fmt::format("{} {} 1\n", ownerGroup, payload.gid));
  int userNs = mapped ? ::open(fmt::format("/proc/{}/ns/user", pid).c_str(), O_RDONLY | O_CLOEXEC) : -1;
  if (userNs < 0) error = fmt::format("cannot map the workspace's owner to the payload: {}", std::strerror(errno));
  child.release.store(1);
  syscall(SYS_futex, &child.release, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  waitpid(pid, nullptr, 0);
  return userNs;
}

std::string filesystemName(int fd) {
  struct Known {
    unsigned long magic;
    const char* name;
  };
  static constexpr Known kKnown[] = {{0xEF53, "ext4"},      {0x58465342, "xfs"},       {0x9123683E, "btrfs"},
                                     {0x01021994, "tmpfs"}, {0x794c7630, "overlayfs"}, {0x62656572, "sysfs"},
                                     {0x9fa0, "proc"},      {0x65735546, "fuse"},      {0x6969, "nfs"}};
  struct statfs fs {};
  if (fstatfs(fd, &fs) != 0) return "its filesystem";
  for (const auto& k : kKnown)
    if (static_cast<unsigned long>(fs.f_type) == k.magic) return fmt::format("its filesystem ({})", k.name);
  return fmt::format("its filesystem (type 0x{:x})", static_cast<unsigned long>(fs.f_type));
}

}  // namespace

bool workspaceNeedsIdmap(const std::string& workspace, const Identity& payload) {
  struct stat st {};
  return geteuid() == 0 && !workspace.empty() && stat(workspace.c_str(), &st) == 0 && st.st_uid != payload.uid;
}

bool idmapWorkspace(std::vector<PlannedMount>& mounts, const Identity& payload, std::string& error) {
  for (auto& m : mounts) {
    if (m.type != "workspace") continue;
    int source = openMountSource(m, error);
    if (source < 0) return false;
    struct stat st {};
    fstat(source, &st);
    int userNs = mappingNamespace(st.st_uid, st.st_gid, payload, error);
    int tree =
        userNs < 0
            ? -1
            : static_cast<int>(syscall(SYS_open_tree, source, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP | mountAttributes(m);
    attr.propagation = MS_PRIVATE;
    attr.userns_fd = static_cast<std::uint64_t>(userNs);
    bool ok = tree >= 0 && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0;
    if (userNs >= 0 && !ok)
      error = fmt::format(
          "the workspace {} is owned by uid {}, and the sandbox's payload runs as uid {}; sbx-run would ID-map it, "
          "but {} cannot be ID-mapped here ({}): give the workspace to an unprivileged owner (chown -R 65534:65534 "
          "{}, or to the user who should own the results) or put it on a filesystem that supports ID-mapped "
          "mounts (ext4, xfs, btrfs, tmpfs on Linux 6.3+)",
          m.source, st.st_uid, payload.uid, filesystemName(source), std::strerror(errno), m.source);
    if (userNs >= 0) ::close(userNs);
    ::close(source);
    if (!ok) {
      if (tree >= 0) ::close(tree);
      return false;
    }
    m.tree = tree;
    m.idmapped = true;
  }
  return true;
}

}  // namespace sbx::run
