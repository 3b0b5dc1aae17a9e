// Opening the host side of a bind mount without following symbolic links anywhere in the path
// (openat2 with RESOLVE_NO_SYMLINKS): a link planted in a declared path cannot redirect the bind
// to something that was not declared. The descriptor (O_PATH) is what gets mounted, so the path
// cannot be swapped between the check and the mount either.
#pragma once
#include <optional>
#include <string>

namespace sbx::run {

// An O_PATH descriptor for `path`, or -1 with `error` naming the path and the reason.
int openWithoutSymlinks(const std::string& path, std::string& error);

// When `path` itself (its last component only) is a symbolic link, the link's text: the sandbox
// gets the same link, which resolves inside the sandbox's own tree (Debian's /bin -> usr/bin).
// A link in any earlier component is not accepted.
std::optional<std::string> finalSymlink(const std::string& path);

}  // namespace sbx::run
