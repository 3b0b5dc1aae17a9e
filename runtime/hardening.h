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

// Whether the plan runs nothing from a writable path (each writable mount noexec): then nothing
// runs from anonymous memory either (mounts.cc sets vm.memfd_noexec = 2 where it can).
bool noExecFromWritable(const std::vector<PlannedMount>& mounts);
// Whether this PID namespace's vm.memfd_noexec is 2 (no memfd is executable).
bool executableMemfdsForbidden();
// Where the kernel setting could not be made (rootless: /proc/sys belongs to the host's root):
// the task's filter with a prologue that refuses memfd_create without MFD_NOEXEC_SEAL (EACCES),
// since a memfd made without it would be executable. One filter, as the tool broker expects.
std::vector<sock_filter> refusingExecutableMemfds(const std::vector<sock_filter>& filter);

// Whether a mount is ID-mapped from another owner (workspace_idmap.h): what the payload creates
// there is that owner's on the host, root's for a root-owned workspace.
bool anyIdmapped(const std::vector<PlannedMount>& mounts);
// Then the payload must not make a set-user-ID or set-group-ID file there: it would be a host
// root's setuid program, run outside the sandbox by anyone. The task's filter with a prologue
// that refuses (EPERM) every mode with S_ISUID or S_ISGID given to chmod, fchmod, fchmodat,
// fchmodat2, open, openat, creat, mknod and mknodat, and openat2 (ENOSYS: its mode is in memory,
// which seccomp cannot read; the C library falls back to openat).
std::vector<sock_filter> refusingSetIdModes(const std::vector<sock_filter>& filter);

// The filter the payload loads: the task's, behind the launcher's guards that apply.
std::vector<sock_filter> guardedFilter(const std::vector<sock_filter>& filter, bool memfdGuard, bool setIdGuard);

}  // namespace sbx::run
