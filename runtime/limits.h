// Resource limits from the plan: rlimits in the payload (address space for memory, processes,
// open files, file size, CPU time), and where a cgroup hierarchy is writable, a cgroup with
// memory and pids limits that the whole sandbox joins. Reports what was applied and what not.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sbx::run {

struct LimitReport {
  std::vector<std::string> applied, notApplied;  // "rlimit nproc 64", "cgroup memory.max: read-only"
};

// The plan's limits as rlimits (memory caps the address space too: with no writable cgroup it is
// the only memory limit). The payload applies them; the launcher audits the same list.
struct Rlimit {
  int resource;
  const char* name;  // "as", "nproc", "nofile", "fsize", "cpu"
  std::uint64_t value;
};
std::vector<Rlimit> plannedRlimits(const nlohmann::json& limits);

// In the payload, before exec; also sets RLIMIT_CORE to 0.
bool applyRlimits(const std::vector<Rlimit>& rlimits, std::string& error);

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
