// The last steps before exec, in this order: every capability set emptied, no_new_privs, Landlock
// (where the kernel has it), and the seccomp filter, so the payload starts already filtered.
#pragma once
#include <linux/filter.h>

#include <string>
#include <vector>

#include "runtime/mounts.h"

namespace sbx::run {

// Bounding and ambient sets (needs CAP_SETPCAP, so before switching ids), then, after the
// switch, the effective, permitted and inheritable sets.
bool dropBoundingAndAmbient(std::string& error);
bool clearCapabilitySets(std::string& error);
bool setNoNewPrivileges(std::string& error);
// Restricts the filesystem to the mount plan; `applied` is false where Landlock is unavailable.
bool applyLandlock(const std::vector<PlannedMount>& mounts, bool& applied, std::string& error);
bool loadSeccomp(const std::vector<sock_filter>& filter, std::string& error);

}  // namespace sbx::run
