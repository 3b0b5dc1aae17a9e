// Opening paths without following symbolic links.
//
// The host side of a bind mount (openWithoutSymlinks): a link planted in a declared path cannot
// redirect the bind to something that was not declared. The descriptor (O_PATH) is what gets
// mounted, so the path cannot be swapped between the check and the mount either.
//
// The mount points inside the new root (openBeneath, openDirectoryBeneath): everything inside a
// writable bind (the workspace) was left there by an agent, in an earlier run or by a sandbox
// running beside this one. Each component is resolved relative to its parent's descriptor with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) and created with mkdirat,
// so set-up never leaves the new root, never follows a link there, and never opens anything
// there but with O_PATH (a FIFO cannot block it).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

namespace sbx::run {

// An O_PATH descriptor for `path`, or -1 with `error` naming the path and the reason.
int openWithoutSymlinks(const std::string& path, std::string& error);

// When `path` itself (its last component only) is a symbolic link, the link's text: the sandbox
// gets the same link, which resolves inside the sandbox's own tree (Debian's /bin -> usr/bin).
// A link in any earlier component is not accepted.
std::optional<std::string> finalSymlink(const std::string& path);

// Who owns the directories and files set-up creates inside a bind (the payload: the agent's own
// files, never root's), told apart from the staging tmpfs (owned by init) by its device; and
// whether set-up may create there at all.
struct Creator {
  uid_t uid;
  gid_t gid;
  dev_t stagingDevice;
  // When set: the mount point lies inside the bind of this host directory (its target), where a
  // missing entry is refused rather than created (mount_tree.h says why).
  std::string hostBind;
};

// An O_PATH descriptor of `path` (absolute, inside the new root) beneath `root`, or -1 with errno
// (ENOENT: missing; ELOOP: a symbolic link on the way or at the end; EXDEV: `..` out of `root`).
int openBeneath(int root, const std::string& path);

// An O_PATH descriptor of the directory `path` beneath `root`, missing directories created (0755,
// given to `creator`'s ids where they are not on the staging tmpfs; null: left to init), or
// refused when `creator` names a host bind that holds them. A
// symbolic link or a non-directory on the way is refused: -1 with `error` naming `what` (the
// sandbox's path) and the reason.
int openDirectoryBeneath(int root, const std::string& path, const Creator* creator, const std::string& what,
                         std::string& error);

// An O_PATH descriptor of the non-directory `path` beneath `root` (created empty, 0644, when
// missing, unless refused as above), for a file bind mount's mount point; errors as above, and a
// directory is refused.
int openFileBeneath(int root, const std::string& path, const Creator* creator, const std::string& what,
                    std::string& error);

// A message for a failed resolution of `what` (the sandbox's path), from errno.
std::string beneathError(const std::string& what, int e);

// The refusal of a mount point `missing` (the sandbox's path) that `what` needs and that does not
// exist inside the bind of the host directory `hostBind`: it names the path and the fix.
std::string missingInHostBind(const std::string& what, const std::string& missing, const std::string& hostBind);

}  // namespace sbx::run
