// Reads a `source file` secret from the host: no symbolic links, regular files only (host_secret.h).
#include "runtime/host_secret.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sbx::run {

namespace {

std::string openError(const std::string& path, int e) {
  if (e == ELOOP)
    return fmt::format(
        "secret file {}: a symbolic link is on the path; sbx-run follows none (declare the file "
        "it points to)",
        path);
  return fmt::format("secret file {}: {}", path, std::strerror(e));
}

}  // namespace

std::optional<std::string> readHostSecret(const std::string& path, std::string& error) {
  open_how how{};
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not regular.
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd;
  do fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
  while (fd < 0 && errno == EAGAIN);
  if (fd < 0) {
    error = openError(path, errno);
    return std::nullopt;
  }
  struct stat st {};
  std::string out;
  bool ok = fstat(fd, &st) == 0;
  if (!ok) {
    error = openError(path, errno);
  } else if (!S_ISREG(st.st_mode)) {
    error = fmt::format("secret file {}: not a regular file", path);
    ok = false;
  } else if (static_cast<std::size_t>(st.st_size) > kMaxHostSecretBytes) {
    error = fmt::format("secret file {}: larger than {} bytes", path, kMaxHostSecretBytes);
    ok = false;
  }
  char buffer[8192];
  while (ok) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = openError(path, errno);
      ok = false;
    } else if (n == 0) {
      break;
    } else if (out.size() + static_cast<std::size_t>(n) > kMaxHostSecretBytes) {
      error = fmt::format("secret file {}: larger than {} bytes", path, kMaxHostSecretBytes);
      ok = false;
    } else {
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace sbx::run
