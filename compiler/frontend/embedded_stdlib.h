// The stdlib's modules as compiled into sbxc (stdlib-policies/, embedded by cmake/Embed.cmake):
// what `import std.NAME` loads unless --stdlib names a directory.
#pragma once
#include <cstddef>
#include <span>

#include "util/embedded.h"

namespace sbx {
extern const EmbeddedFile kStdlibFiles[];
extern const std::size_t kStdlibFiles_count;
}  // namespace sbx

namespace sbx::frontend {

inline std::span<const EmbeddedFile> embeddedStdlibFiles() {
  return {kStdlibFiles, kStdlibFiles_count};
}

}  // namespace sbx::frontend
