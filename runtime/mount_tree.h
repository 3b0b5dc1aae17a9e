// How the planned mounts nest: the order they are placed in and, for each, the mount it lies
// inside (its cover). Any grant may lie inside any other (exec "/usr/bin/git" inside read "/usr",
// a scratch inside the workspace, a read-only file inside a writable directory), so:
//
// - Parents first (plan/mount_order.h), whatever order plan.json lists them in: a child mounted
//   before its parent would be hidden beneath it.
// - A mount point is created only where set-up owns the place: on sbx-run's own tmpfs (the
//   staging root, a scratch tmpfs, the tokens' and the gates') and inside a writable workspace
//   (there, given to the payload, as the agent could have made it itself; issue 15). Inside the bind of
//   any other host directory a missing mount point is refused, naming it and the fix: a
//   read-only bind cannot be written, and writing through a writable one would change the host
//   (as root: in a directory the payload itself may not write). Building the parent as a tmpfs
//   "skeleton" instead would hide everything else the parent grants, so it is not done. In
//   practice the refusal is rare: a bind's source is its target, so a child declared inside a
//   parent is a host entry the parent's bind already shows, and mounting over an existing entry
//   writes nothing, even in a read-only bind.
// - A grant its cover already shows as granted is a no-op: a bind of the same host object with
//   the same flags (read "/usr/bin" inside read "/usr", both nosuid nodev), or a symbolic link
//   the cover shows with the same text (exec "/usr/bin/python3", a link to python3.11, inside
//   read "/usr"). A grant with other flags is bound over the entry the cover shows, with its own.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "runtime/mounts.h"

namespace sbx::run {

// The indices of `mounts` in the order they are placed: parents first, the plan's order kept
// among mounts of one target (a mask after the bind it covers); the tools' gates last.
std::vector<std::size_t> placementOrder(const std::vector<PlannedMount>& mounts);

// The innermost mount among those placed before position `position` of `order` that holds the
// target of mounts[order[position]] (a mount of the same target included: the later one goes on
// top of it); null when it lies on the staging root. Masks, mounted last, cover nothing here, and
// neither does a symbolic link.
const PlannedMount* coveringMount(const std::vector<PlannedMount>& mounts, const std::vector<std::size_t>& order,
                                  std::size_t position);

// The target of the host bind in which set-up must not create a missing mount point, for a mount
// inside `cover`; empty where it may (sbx-run's own tmpfs, a writable workspace).
std::string hostBindHolding(const PlannedMount* cover);

// Whether `cover` is a bind whose flags (read-only, nosuid, nodev, noexec) are those of `m`: then
// the host's entry it shows at m's target, when it is m's source, is already what m grants.
bool coverHasSameFlags(const PlannedMount& m, const PlannedMount* cover);

}  // namespace sbx::run
