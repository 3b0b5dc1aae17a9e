// The filter sbx-run loads when a supervisor reports denials (syscall_supervisor.h): the task's
// filter with every denying return (errno, kill, notify) turned into SECCOMP_RET_USER_NOTIF, so
// that a denied call is held for the launcher, which names it, audits it and answers with the
// task's own errno (or kills the task for a kill rule). Allowed calls never trap: no cost there.
//
// A denied call never executes: the supervisor never answers with
// SECCOMP_USER_NOTIF_FLAG_CONTINUE (but under `sbx-run --learn`, which enforces nothing), and once the listener is
// closed (the launcher died) the kernel fails every held call with ENOSYS. The compiled artifacts are untouched: the
// rewrite is made in memory, at launch.
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sbx::run {

// `filter` with its errno, kill and notify returns turned into user notification, behind a guard
// that refuses (EPERM) a seccomp listener of the task's own: a filter the agent adds, returning
// user notification for a call this one denies, would take precedence over it (the most recent
// filter wins among equal actions) and its supervisor could let the call run.
std::vector<sock_filter> notifyingDenials(const std::vector<sock_filter>& filter);

// True when the payload can start under the rewritten filter without a supervisor yet: the calls
// it makes between loading the filter and its exec (execve of `program`, close, write, exit_group)
// are allowed by `filter`. Otherwise a denied one would be held with nobody to answer.
bool supervisableStart(const std::vector<sock_filter>& filter, const char* program, char* const* argv,
                       char* const* envp);

// Loads `filter` with SECCOMP_FILTER_FLAG_NEW_LISTENER: the listener's descriptor, or -1 with
// errno (EINVAL: a kernel without user notification).
int loadSeccompWithListener(const std::vector<sock_filter>& filter);

// The action `filter` (the task's, as compiled) returns for a call: what the supervisor answers.
std::uint32_t originalAction(const std::vector<sock_filter>& filter, std::uint32_t arch, std::uint32_t nr,
                             std::uint64_t ip, const std::uint64_t (&args)[6]);

}  // namespace sbx::run
