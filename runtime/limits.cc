#include "runtime/limits.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "plan/plan_json.h"
#include "util/read_file.h"
#include "util/rlimits.h"

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

bool writeFile(const fs::path& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  if (fd >= 0) ::close(fd);
  return ok;
}

// Whether `pid` is a running sbx-run (its cgroups are its own to remove).
bool isLiveLauncher(pid_t pid) {
  auto comm = readWholeFile(fmt::format("/proc/{}/comm", pid));
  return comm && *comm == "sbx-run\n";
}

// Removes the cgroups of runs whose launcher is gone (killed with SIGKILL, or the machine went
// down): sbx-run-PID where PID is no live sbx-run. The kernel refuses to remove a cgroup that
// still has processes, so nothing running is touched.
void reapDeadRuns(const fs::path& hierarchy) {
  DIR* dir = opendir(hierarchy.c_str());
  if (!dir) return;
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (entry->d_type != DT_DIR || !name.starts_with("sbx-run-")) continue;
    pid_t pid = 0;
    auto digits = name.substr(8);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (ec != std::errc() || end != digits.data() + digits.size() || pid == getpid() || isLiveLauncher(pid)) continue;
    unlinkat(dirfd(dir), entry->d_name, AT_REMOVEDIR);
  }
  closedir(dir);
}

}  // namespace

std::vector<Rlimit> plannedRlimits(const plan::Limits& limits) {
  std::vector<Rlimit> out;
  for (const auto& row : kRlimitRows)
    if (auto value = plan::limitNamed(limits, row.planKey))
      out.push_back({row.resource, row.name, rlimitValue(row, *value)});
  return out;
}

namespace {

// Why `r` cannot be set in the sandbox, with the fix, or nothing when it is within the hard limit.
std::optional<std::string> aboveHardLimit(const Rlimit& r) {
  rlimit own{};
  if (getrlimit(r.resource, &own) != 0 || own.rlim_max == RLIM_INFINITY || r.value <= own.rlim_max) return {};
  return fmt::format(
      "rlimit {} {}: above sbx-run's hard limit of {}, which the sandbox (in its own user namespace) cannot "
      "raise; raise the hard limit of the shell or container that starts sbx-run (prlimit --{}={}), or lower "
      "the task's limit",
      r.name, r.value, own.rlim_max, r.name, r.value);
}

}  // namespace

std::vector<std::string> rlimitsAboveHardLimits(const std::vector<Rlimit>& rlimits) {
  std::vector<std::string> problems;
  for (const auto& r : rlimits)
    if (auto problem = aboveHardLimit(r)) problems.push_back(*problem);
  return problems;
}

bool applyRlimits(const std::vector<Rlimit>& rlimits, std::string& error) {
  for (const auto& r : rlimits) {
    rlimit value{r.value, r.value};
    if (setrlimit(r.resource, &value) != 0) {
      auto above = errno == EPERM ? aboveHardLimit(r) : std::nullopt;
      error = above ? *above : fmt::format("setrlimit {} {}: {}", r.name, r.value, std::strerror(errno));
      return false;
    }
  }
  // No core dumps: a core file could carry secrets out of a crashed payload.
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  return true;
}

void Cgroups::create(const plan::Limits& limits, LimitReport& report) {
  std::string name = fmt::format("sbx-run-{}", getpid());
  // What each plan limit becomes, in order of preference: cgroup v2 where the hierarchy offers
  // the controller (v1 may hold it instead), else the v1 controller. Memory and pids are limits
  // the kernel enforces; CPU time is accounted for the whole sandbox and enforced by the launcher
  // (the language declares CPU time, not a share, so cpu.max is not set).
  struct Controller {
    const char* hierarchy;
    const char* v2Controller;  // nullptr: a v1 hierarchy
    const char* file;          // the limit to write, or the usage to read (CPU)
    const char* key;
  };
  static constexpr Controller kControllers[] = {
      {"/sys/fs/cgroup/unified", "memory", "memory.max", "memoryBytes"},
      {"/sys/fs/cgroup/unified", "pids", "pids.max", "pids"},
      {"/sys/fs/cgroup/unified", "cpu", "cpu.stat", "cpuMs"},
      {"/sys/fs/cgroup", "memory", "memory.max", "memoryBytes"},
      {"/sys/fs/cgroup", "pids", "pids.max", "pids"},
      {"/sys/fs/cgroup", "cpu", "cpu.stat", "cpuMs"},
      {"/sys/fs/cgroup/memory", nullptr, "memory.limit_in_bytes", "memoryBytes"},
      {"/sys/fs/cgroup/pids", nullptr, "pids.max", "pids"},
      {"/sys/fs/cgroup/cpuacct", nullptr, "cpuacct.usage", "cpuMs"}};
  std::vector<std::string> done, reaped;
  for (const auto& c : kControllers) {
    auto planned = plan::limitNamed(limits, c.key);
    if (!planned || std::find(done.begin(), done.end(), c.key) != done.end()) continue;
    fs::path hierarchy = c.hierarchy, dir = hierarchy / name;
    if (std::find(reaped.begin(), reaped.end(), c.hierarchy) == reaped.end()) {
      reaped.push_back(c.hierarchy);
      reapDeadRuns(hierarchy);
    }
    if (c.v2Controller) {
      auto controllers = readWholeFile(hierarchy / "cgroup.controllers");
      if (!controllers || controllers->find(c.v2Controller) == std::string::npos) continue;
      writeFile(hierarchy / "cgroup.subtree_control", fmt::format("+{}", c.v2Controller));
    } else if (!fs::exists(hierarchy / "cgroup.procs")) {
      continue;  // v1 controller not mounted
    }
    std::error_code ec;
    bool fresh = fs::create_directory(dir, ec);
    if (ec) continue;
    if (fresh) created_.push_back(dir.string());
    std::uint64_t value = *planned;
    bool accounting = std::string_view(c.key) == "cpuMs";
    if (!fs::exists(dir / c.file) || (!accounting && !writeFile(dir / c.file, std::to_string(value)))) continue;
    int procs = ::open((dir / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (procs < 0) continue;
    if (accounting) {
      cpuUsage_ = dir / c.file;
      cpuLimitMs_ = value;
    }
    joined_.push_back(
        {accounting ? fmt::format("cgroup {}/{} (CPU time of the whole sandbox, {} ms)", c.hierarchy, c.file, value)
                    : fmt::format("cgroup {}/{} {}", c.hierarchy, c.file, value),
         procs, false});
    done.push_back(c.key);
  }
  for (const char* key : {"memoryBytes", "pids", "cpuMs"})
    if (plan::limitNamed(limits, key) && std::find(done.begin(), done.end(), key) == done.end())
      report.notApplied.push_back(fmt::format("cgroup {}: no writable cgroup controller (the rlimit applies)", key));
}

std::optional<std::uint64_t> Cgroups::cpuUsedMs() const {
  if (cpuUsage_.empty()) return std::nullopt;
  auto text = readWholeFile(cpuUsage_);
  if (!text) return std::nullopt;
  // v2 cpu.stat: "usage_usec N" first; v1 cpuacct.usage: nanoseconds.
  bool v2 = text->starts_with("usage_usec");
  std::uint64_t value = std::strtoull(text->c_str() + (v2 ? 10 : 0), nullptr, 10);
  return v2 ? value / 1000 : value / 1000000;
}

void Cgroups::join(pid_t pid) {
  std::array<char, 16> text{};
  auto end = std::to_chars(text.data(), text.data() + text.size(), pid).ptr;
  auto size = static_cast<std::size_t>(end - text.data());
  for (auto& j : joined_) {
    j.ok = ::write(j.procsFd, text.data(), size) == static_cast<ssize_t>(size);
    ::close(j.procsFd);
    j.procsFd = -1;
  }
}

void Cgroups::report(LimitReport& report) const {
  for (const auto& j : joined_)
    (j.ok ? report.applied : report.notApplied).push_back(j.ok ? j.applied : j.applied + ": could not join");
}

void Cgroups::cleanup() {
  for (auto& j : joined_)
    if (j.procsFd >= 0) ::close(j.procsFd);
  joined_.clear();
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) rmdir(it->c_str());
  created_.clear();
}

}  // namespace sbx::run
