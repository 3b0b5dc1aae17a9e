// The sandbox's filesystem: a fresh tmpfs root built from the plan's mount list (read-only binds
// for reads, read-write for writes and the workspace at /workspace, tmpfs scratch, masked paths,
// nosuid/nodev/noexec as planned, the tokens' tmpfs and the tools' gates (tool_gates.h)), a /proc
// of the new PID namespace with /proc/sys read-only and /proc/sysrq-trigger masked, a minimal
// /dev, then pivot_root into it.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.h"

#include "runtime/user_ns.h"

namespace sbx::run {

struct SecretFile {
  std::string name, content;
  std::string link;  // when set: a symbolic link with this text instead of a file (a tool's token)
};

struct ToolGates;

struct PlannedMount {
  std::string
      type;  // bind, workspace, tmpfs, mask, device, secrets, tool-gates; symlink for a declared path that is a link
  std::string source;      // host path (bind, device, workspace)
  std::string target;      // inside the sandbox
  std::string linkTarget;  // symlink: the link's text
  bool readOnly = true, nosuid = true, nodev = true, noexec = false;
  std::uint64_t sizeBytes = 0;    // tmpfs
  int fd = -1;                    // the source, opened without following links (buildRoot)
  std::vector<SecretFile> files;  // secrets: the tokens written into the tmpfs, 0400
  uid_t owner = 0;                // secrets: the payload's ids, who owns them
  gid_t group = 0;
  ToolGates* gates = nullptr;  // tool-gates: what to make (tool_gates.h)
  bool idmapped = false;       // workspace: ID-mapped from its owner, whose ids the payload's files get on the host
  int tree = -1;               // workspace: a detached mount the launcher made (workspace_idmap.h), attached as is
  // workspace, a path inside it: the workspace's host directory, beneath which `source` is opened
  // (no link followed, nothing outside it reached); empty for the workspace itself and other mounts.
  std::string workspaceRoot;
  std::string sha256;  // a pinned executable: the digest its file must have (plan.json)
};

// Opens a mount's host source as O_PATH without following any symbolic link; a path inside the
// workspace is opened beneath the workspace's directory (RESOLVE_BENEATH), which it cannot leave.
int openMountSource(const PlannedMount& m, std::string& error);

// For a pinned executable (m.sha256 set): whether the regular file `fd` refers to has that
// SHA-256; otherwise `error` names the path, the expected and the actual digest.
bool checkPinnedDigest(const PlannedMount& m, int fd, std::string& error);

// The mount attributes (MOUNT_ATTR_*) of a bind: read-only, nosuid, nodev, noexec as planned.
std::uint64_t mountAttributes(const PlannedMount& m);

// In the launcher, before the sandbox exists: reads the plan's mounts and opens every source.
// A missing or symlinked path is an error naming it.
bool prepareMounts(const plan::Plan& plan, const std::string& workspace, std::vector<PlannedMount>& out,
                   std::string& error);

// In the sandbox's init (new user and mount namespace, before pivot_root): builds the new root
// and enters it. Every mount point is resolved and created through descriptors beneath the new
// root (safe_path.h) and every mount attached to what was resolved, never by path: inside the
// writable binds an agent chose what is there. What set-up creates inside a bind is the
// payload's. `error` says which step failed, and for which path.
bool buildRoot(std::vector<PlannedMount>& mounts, const Identity& payload, std::string& error);

}  // namespace sbx::run
