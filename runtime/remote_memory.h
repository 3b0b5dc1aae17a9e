// What the supervisor reads of a held call's process: its memory (the address a connect names,
// the bytes a sendto sends) and its descriptors, each copied once. The supervisor acts on its
// copy, never on the process's memory again: a thread that rewrites the buffer after the read
// changes nothing the supervisor does (no time-of-check gap).
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sbx::run {

// `size` bytes at `address` in process `pid`; false when they cannot all be read.
bool readRemote(pid_t pid, std::uint64_t address, void* out, std::size_t size);

// A duplicate of descriptor `fd` of the process that thread `tid` belongs to (pidfd_getfd),
// close-on-exec, and that process's id in `tgid` (0 when it is gone); -1 with errno.
int duplicateCallerDescriptor(pid_t tid, int fd, pid_t& tgid);

// Whether descriptor `fd` of process `tgid` is close-on-exec (its fdinfo's flags).
bool remoteCloseOnExec(pid_t tgid, int fd);

// The executable of `tgid` as /proc shows it; empty when unreadable.
std::string executableOf(pid_t tgid);

}  // namespace sbx::run
