// Resource limits from the plan: rlimits in the payload (address space for memory, processes,
// open files, file size, CPU time), and where a cgroup hierarchy is writable, a cgroup with
// memory and pids limits that the whole sandbox joins. Reports what was applied and what not.
#pragma once
#include <sys/types.h>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sbx::run {

struct LimitReport {
  std::vector<std::string> applied, notApplied;  // "rlimit nproc 64", "cgroup memory.max: read-only"
};

// In the payload, before exec: the plan's limits as rlimits.
bool applyRlimits(const nlohmann::json& limits, LimitReport& report, std::string& error);

// In the launcher: a cgroup for `pid` (the sandbox's init) with the plan's memory and pids limits,
// on cgroup v2 where writable, else on the v1 memory and pids controllers. Removed by cleanup().
class Cgroups {
 public:
  void attach(pid_t pid, const nlohmann::json& limits, LimitReport& report);
  void cleanup();
  ~Cgroups() { cleanup(); }

 private:
  std::vector<std::string> created_;
};

}  // namespace sbx::run
