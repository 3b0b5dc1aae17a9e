// A secret declared with `source file "PATH"`: a static credential that sbx-run copies from the
// host, as it is, onto the sandbox's private secrets tmpfs (0400, like a minted token). It is read
// by descriptor, the path resolved with no symbolic link anywhere on it (a link planted at or
// above the declared file cannot redirect the read to another file the launcher may read), and
// only a regular file is read (a FIFO or device cannot block or feed the launcher).
#pragma once
#include <optional>
#include <string>

namespace sbx::run {

// Files larger than this are refused: a credential is small, and the copy lives in memory.
constexpr std::size_t kMaxHostSecretBytes = 1 << 20;

// The contents of the host file `path`, or nullopt with `error` naming the path and the reason.
std::optional<std::string> readHostSecret(const std::string& path, std::string& error);

}  // namespace sbx::run
