#include "runtime/stub_resolv_conf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "plan/mount_order.h"
#include "runtime/dns_stub.h"
#include "runtime/mount_tree.h"
#include "runtime/safe_path.h"
#include "util/private_directory.h"

namespace sbx::run {

namespace {

namespace fs = std::filesystem;
constexpr const char* kTarget = "/etc/resolv.conf";

// Why `m` (the last of `mounts`) cannot be placed at kTarget; empty when it can.
std::string unplaceable(const std::vector<PlannedMount>& mounts) {
  for (const auto& other : mounts)
    if (other.type == "symlink" && plan::pathWithin(kTarget, other.target))
      return fmt::format("the policy grants {} as a symbolic link", other.target);
  std::vector<std::size_t> order = placementOrder(mounts);
  std::size_t position = 0;
  while (order[position] != mounts.size() - 1) ++position;
  const PlannedMount* cover = coveringMount(mounts, order, position);
  if (hostBindHolding(cover).empty()) return "";  // sbx-run's own tmpfs, or a writable workspace
  std::string rest = std::string(kTarget).substr(cover->target == "/" ? 0 : cover->target.size());
  std::string source = cover->source;
  while (!source.empty() && source.back() == '/') source.pop_back();  // a bind of `/`: no `//etc`
  std::string host = source + rest, error;
  int fd = openWithoutSymlinks(host, error);
  struct stat st {};
  bool file = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (fd >= 0) ::close(fd);
  return file ? "" : fmt::format("the bind of {} shows no regular file at {} ({})", cover->target, kTarget, host);
}

}  // namespace

bool StubResolvConf::prepare(const std::string& stateDir, std::vector<PlannedMount>& mounts, std::string& skipped,
                             std::string& error) {
  PlannedMount m;
  m.type = "bind";
  m.target = kTarget;
  m.readOnly = true;
  m.noexec = true;
  mounts.push_back(m);
  skipped = unplaceable(mounts);
  mounts.pop_back();
  if (!skipped.empty()) return true;
  std::string parent = stateDir.empty() ? fs::temp_directory_path().string() : stateDir;
  if (!stateDir.empty()) {
    int fd = openPrivateDirectory(stateDir, true, error);
    if (fd < 0) return false;
    ::close(fd);
  }
  std::string pattern = parent + "/dns-XXXXXX";
  if (!mkdtemp(pattern.data())) {
    error = fmt::format("DNS stub: cannot make a directory in {}: {}", parent, std::strerror(errno));
    return false;
  }
  dir_ = pattern;
  m.source = dir_ + "/resolv.conf";
  std::string text =
      fmt::format("# sbx-run's DNS stub: the names the task's egress rules allow\nnameserver {}\n", kDnsStubAddress);
  int fd = ::open(m.source.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  bool written = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0) ::close(fd);
  if (!written) {
    error = fmt::format("DNS stub: cannot write {}: {}", m.source, std::strerror(errno));
    return false;
  }
  // The directory is 0700: the sandbox's user reads the file through the bind, not the path.
  mounts.push_back(std::move(m));
  return true;
}

StubResolvConf::~StubResolvConf() {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace sbx::run
