#include "runtime/host_sockets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

namespace sbx::run {

namespace {

// Bounds on the work per launch: the table is read once, in one pass, in a fixed buffer. A host
// with more sockets than fit in kMaxTableBytes (some 22,000) is refused rather than half-checked.
constexpr std::size_t kMaxTableBytes = 2 << 20;
constexpr std::size_t kMaxMasks = 1024;
// Socket paths outside every bind by name are resolved (realpath of their directory, cached) in
// case a link leads into a bind (/var/run -> /run); at most this many directories per launch.
constexpr std::size_t kMaxResolvedDirectories = 128;

struct HostBind {
  std::string source, target;  // source absolute and normalised
};

bool covers(const std::string& outer, const std::string& inner) {
  if (outer == "/") return true;
  return inner == outer || (inner.starts_with(outer) && inner[outer.size()] == '/');
}

std::vector<HostBind> hostBinds(const std::vector<PlannedMount>& mounts) {
  std::vector<HostBind> out;
  for (const auto& m : mounts) {
    if ((m.type != "bind" && m.type != "workspace") || m.source.empty()) continue;
    std::error_code ignored;  // without a working directory a relative source stays as it is
    std::filesystem::path source = std::filesystem::absolute(m.source, ignored).lexically_normal();
    std::string text = source.string();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    out.push_back({text, m.target});
  }
  return out;
}

bool insideAnyBind(const std::vector<HostBind>& binds, const std::string& hostPath) {
  for (const auto& b : binds)
    if (covers(b.source, hostPath)) return true;
  return false;
}

// The mount the sandbox sees at `sandboxPath`: the bind with the innermost target holding it.
const HostBind* visibleAt(const std::vector<HostBind>& binds, const std::string& sandboxPath) {
  const HostBind* best = nullptr;
  for (const auto& b : binds)
    if (covers(b.target, sandboxPath) && (!best || b.target.size() >= best->target.size())) best = &b;
  return best;
}

// Every path at which the sandbox sees the host file `hostPath` (through each bind holding it
// that no deeper mount covers there), none for a file the policy declares itself.
std::vector<std::string> sandboxPaths(const std::vector<HostBind>& binds, const std::string& hostPath) {
  std::vector<std::string> out;
  for (const auto& b : binds)
    if (b.source == hostPath) return {};
  for (const auto& b : binds) {
    if (!covers(b.source, hostPath)) continue;
    std::string rest = b.source == "/" ? hostPath : hostPath.substr(b.source.size());
    std::string path = (b.target == "/" ? "" : b.target) + rest;
    if (visibleAt(binds, path) == &b) out.push_back(path);
  }
  return out;
}

class SocketScan {
 public:
  explicit SocketScan(const std::vector<PlannedMount>& mounts) : binds_(hostBinds(mounts)) {}

  bool empty() const { return binds_.empty(); }
  const std::set<std::string>& masks() const { return masks_; }

  // One line of /proc/net/unix; false when there are too many sockets to mask.
  bool add(std::string_view line) {
    auto path = boundSocketPath(line);
    if (!path) return true;
    std::string hostPath = *path;
    if (!insideAnyBind(binds_, hostPath)) {
      auto resolved = resolve(hostPath);
      if (!resolved || !insideAnyBind(binds_, *resolved)) return true;
      hostPath = *resolved;
    }
    auto targets = sandboxPaths(binds_, hostPath);
    if (targets.empty()) return true;  // declared itself, or covered by deeper mounts
    // The table lists what processes asked to bind, in their own mount namespace: only a socket
    // file at that path here is masked (a listed name never covers a file of another kind).
    struct stat st {};
    if (lstat(hostPath.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return true;
    masks_.insert(targets.begin(), targets.end());
    return masks_.size() <= kMaxMasks;
  }

 private:
  // The path with its directory's links resolved, or none (missing, or over the budget).
  std::optional<std::string> resolve(const std::string& path) {
    auto slash = path.rfind('/');
    std::string directory = slash == 0 ? "/" : path.substr(0, slash);
    auto cached = resolved_.find(directory);
    if (cached == resolved_.end()) {
      if (resolved_.size() >= kMaxResolvedDirectories) return std::nullopt;
      char buffer[PATH_MAX];
      std::optional<std::string> canonical;
      if (::realpath(directory.c_str(), buffer)) canonical = buffer;
      cached = resolved_.emplace(directory, canonical).first;
    }
    if (!cached->second || *cached->second == directory) return std::nullopt;  // nothing new
    return (*cached->second == "/" ? "" : *cached->second) + path.substr(slash);
  }

  std::vector<HostBind> binds_;
  std::map<std::string, std::optional<std::string>> resolved_;
  std::set<std::string> masks_;
};

}  // namespace

std::optional<std::string> boundSocketPath(std::string_view line) {
  // "Num: RefCount Protocol Flags Type St Inode Path": the path, when there is one, is the rest
  // of the line after the seventh field and one space (it may itself contain spaces).
  std::size_t at = 0;
  for (int field = 0; field < 7; ++field) {
    while (at < line.size() && line[at] == ' ') ++at;
    if (at == line.size()) return std::nullopt;
    while (at < line.size() && line[at] != ' ') ++at;
  }
  if (at + 1 >= line.size() || line[at] != ' ' || line[at + 1] != '/') return std::nullopt;
  return std::string(line.substr(at + 1));
}

std::vector<std::string> sandboxPathsOf(const std::vector<PlannedMount>& mounts, const std::string& hostPath) {
  return sandboxPaths(hostBinds(mounts), hostPath);
}

bool maskHostSockets(std::vector<PlannedMount>& mounts, std::string& error) {
  SocketScan scan(mounts);
  if (scan.empty()) return true;
  int fd = ::open("/proc/net/unix", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("/proc/net/unix: {} (needed to keep the host's UNIX sockets out of the binds)",
                        std::strerror(errno));
    return false;
  }
  char buffer[64 << 10];
  std::string pending;  // a line split across reads
  std::size_t total = 0;
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = fmt::format("/proc/net/unix: {}", std::strerror(errno));
      ok = false;
      break;
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    if (total > kMaxTableBytes) {
      error = fmt::format("the host has too many UNIX sockets to check (/proc/net/unix is over {} MiB)",
                          kMaxTableBytes >> 20);
      ok = false;
      break;
    }
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
      ok = scan.add(std::string_view(pending).substr(start, end - start));
      start = end + 1;
      if (!ok) break;
    }
    pending.erase(0, start);
    if (!ok) {
      error = fmt::format("more than {} host UNIX sockets lie inside the task's binds: narrow the grants", kMaxMasks);
      break;
    }
  }
  ::close(fd);
  if (!ok) return false;
  for (const auto& target : scan.masks()) {
    PlannedMount mask;
    mask.type = "mask";
    mask.target = target;
    mounts.push_back(std::move(mask));
  }
  return true;
}

}  // namespace sbx::run
