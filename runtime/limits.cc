#include "runtime/limits.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

bool writeFile(const fs::path& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

std::vector<Rlimit> plannedRlimits(const nlohmann::json& limits) {
  struct Row {
    const char* key;
    int resource;
    const char* name;
    std::uint64_t scale;  // plan units per rlimit unit
  };
  static constexpr Row kRows[] = {{"memoryBytes", RLIMIT_AS, "as", 1},
                                  {"pids", RLIMIT_NPROC, "nproc", 1},
                                  {"openFiles", RLIMIT_NOFILE, "nofile", 1},
                                  {"fileSizeBytes", RLIMIT_FSIZE, "fsize", 1},
                                  {"cpuMs", RLIMIT_CPU, "cpu", 1000}};
  std::vector<Rlimit> out;
  for (const auto& row : kRows)
    if (limits.contains(row.key))
      out.push_back({row.resource, row.name, (limits[row.key].get<std::uint64_t>() + row.scale - 1) / row.scale});
  return out;
}

bool applyRlimits(const std::vector<Rlimit>& rlimits, std::string& error) {
  for (const auto& r : rlimits) {
    rlimit value{r.value, r.value};
    if (setrlimit(r.resource, &value) != 0) {
      error = fmt::format("setrlimit {} {}: {}", r.name, r.value, std::strerror(errno));
      return false;
    }
  }
  // No core dumps: a core file could carry secrets out of a crashed payload.
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  return true;
}

void Cgroups::attach(pid_t pid, const nlohmann::json& limits, LimitReport& report) {
  std::string name = fmt::format("sbx-run-{}", pid);
  struct Controller {
    const char* hierarchy;  // cgroup v2 first, then v1 controllers
    const char* file;
    const char* key;
  };
  static constexpr Controller kControllers[] = {{"/sys/fs/cgroup/unified", "memory.max", "memoryBytes"},
                                                {"/sys/fs/cgroup/unified", "pids.max", "pids"},
                                                {"/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memoryBytes"},
                                                {"/sys/fs/cgroup/pids", "pids.max", "pids"},
                                                {"/sys/fs/cgroup", "memory.max", "memoryBytes"},
                                                {"/sys/fs/cgroup", "pids.max", "pids"}};
  std::vector<std::string> done;
  for (const auto& c : kControllers) {
    if (!limits.contains(c.key) || std::find(done.begin(), done.end(), c.key) != done.end()) continue;
    fs::path dir = fs::path(c.hierarchy) / name;
    std::error_code ec;
    if (!fs::exists(fs::path(c.hierarchy) / "cgroup.procs")) continue;  // hierarchy not mounted
    bool fresh = fs::create_directory(dir, ec);
    if (ec) continue;
    if (fresh) created_.push_back(dir.string());
    std::string value = std::to_string(limits[c.key].get<std::uint64_t>());
    if (fs::exists(dir / c.file) && writeFile(dir / c.file, value) &&
        writeFile(dir / "cgroup.procs", std::to_string(pid))) {
      report.applied.push_back(fmt::format("cgroup {}/{} {}", c.hierarchy, c.file, value));
      done.push_back(c.key);
    }
  }
  for (const char* key : {"memoryBytes", "pids"})
    if (limits.contains(key) && std::find(done.begin(), done.end(), key) == done.end())
      report.notApplied.push_back(fmt::format("cgroup {}: no writable cgroup controller (the rlimit applies)", key));
}

void Cgroups::cleanup() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) rmdir(it->c_str());
  created_.clear();
}

}  // namespace sbx::run
