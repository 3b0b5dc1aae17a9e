// Reading a whole file with plain system calls (no iostreams: sbx-run reads its plan, filter and
// cgroup files on every start).
#pragma once
#include <optional>
#include <string>

namespace sbx {

// The file's bytes, or nullopt when it cannot be opened or read.
std::optional<std::string> readWholeFile(const std::string& path);

}  // namespace sbx
