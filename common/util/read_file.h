// Reading a whole file with plain system calls (no iostreams: sbx-run reads its plan, filter and
// cgroup files on every start).
#pragma once
#include <sys/stat.h>

#include <cstddef>
#include <optional>
#include <string>

namespace sbx {

// The file's bytes, or nullopt when it cannot be opened or read or is not a regular file (opened
// without blocking: a FIFO never hangs the reader; /proc and cgroup files are regular).
std::optional<std::string> readWholeFile(const std::string& path);

// Inputs a user names (policies, imports, profiles): the largest sbxc reads.
constexpr std::size_t kMaxInputBytes = 16u << 20;

// A regular file's bytes, read through one descriptor: opened without blocking (a FIFO or a
// device never hangs the reader) and judged by fstat of that descriptor, never by a stat of the
// path before the open. `dirFd` is AT_FDCWD or the directory `path` is relative to; a symlink as
// the last component is followed unless `noFollow`. On failure `error` says why, e.g.
// "is not a regular file" or "no such file" (without the path). `opened`: the file's stat.
std::optional<std::string> readRegularFile(int dirFd, const std::string& path, std::string& error,
                                           struct stat* opened = nullptr, bool noFollow = false,
                                           std::size_t maxBytes = kMaxInputBytes);

}  // namespace sbx
