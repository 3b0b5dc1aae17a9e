#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace sbx {
namespace fs = std::filesystem;

namespace {

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

bool writeFilesAtomically(const std::vector<PendingFile>& files, std::string& error) {
  std::vector<std::string> staged;
  auto cleanup = [&] {
    for (const auto& s : staged) ::unlink(s.c_str());
  };
  for (const auto& file : files) {
    fs::path target(file.path);
    std::error_code ec;
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
    if (ec) {
      error = fmt::format("cannot create directory `{}`: {}", target.parent_path().string(), ec.message());
      cleanup();
      return false;
    }
    std::string temp = fmt::format("{}.tmp.{}", file.path, ::getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, file.mode);
    if (fd < 0) {
      error = fmt::format("cannot write `{}`: {}", file.path, std::strerror(errno));
      cleanup();
      return false;
    }
    staged.push_back(temp);
    bool ok = writeAll(fd, file.contents) && ::fchmod(fd, file.mode) == 0 && ::fsync(fd) == 0;
    int saved = errno;
    ok = (::close(fd) == 0) && ok;
    if (!ok) {
      error = fmt::format("cannot write `{}`: {}", file.path, std::strerror(saved));
      cleanup();
      return false;
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (::rename(staged[i].c_str(), files[i].path.c_str()) != 0) {
      error = fmt::format("cannot rename into `{}`: {}", files[i].path, std::strerror(errno));
      staged.erase(staged.begin(), staged.begin() + static_cast<std::ptrdiff_t>(i));
      cleanup();
      return false;
    }
  }
  return true;
}

}  // namespace sbx
