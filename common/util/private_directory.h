// Directories that sbx-run and sbxc trust: the compile cache (a plan there is enforced as found)
// and the broker's state (its keys and revocations). Another local user must not be able to make
// them, plant files in them, or swap them or any directory above them.
#pragma once
#include <string>

namespace sbx {

// Opens the absolute directory `path` by walking it from `/` one component at a time through
// descriptors, following no symbolic link. Every directory above it must be owned by root or the
// running user and writable by no one else, except a sticky directory (/tmp), which is accepted
// as a parent only. The directory itself must be owned by the running user and writable
// by no one else. With `create`, missing components are made 0700. Returns an O_RDONLY |
// O_DIRECTORY descriptor (close-on-exec), or -1 with `error` naming the directory and the reason.
int openPrivateDirectory(const std::string& path, bool create, std::string& error);

}  // namespace sbx
