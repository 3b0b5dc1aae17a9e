// The workspace of a root-run sandbox whose workspace is root's (the usual case in CI
// containers). The payload never runs as root (user_ns.h: it is nobody then), so a plain bind
// would leave it unable to write there. Instead the launcher, still root on the host, makes an
// ID-mapped mount of the workspace (mount_setattr MOUNT_ATTR_IDMAP): the owner's ids appear as
// the payload's inside, and what the payload creates belongs to the owner on the host. The mount
// is made detached, before the sandbox exists, because only a process privileged over the
// filesystem's user namespace may ID-map it; the sandbox's init attaches it like any other bind.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/mounts.h"
#include "runtime/user_ns.h"

namespace sbx::run {

// Whether the workspace must be ID-mapped for `payload`: sbx-run is root and the workspace's
// owner is not the payload.
bool workspaceNeedsIdmap(const std::string& workspace, const Identity& payload);

// For the workspace entry of `mounts`: the detached, ID-mapped mount in its `tree`, with the
// entry's own attributes. False, with `error` naming the fix, where the kernel or the
// workspace's filesystem cannot ID-map.
bool idmapWorkspace(std::vector<PlannedMount>& mounts, const Identity& payload, std::string& error);

}  // namespace sbx::run
