// Resource limits from the plan: rlimits in the payload (address space for memory, processes,
// open files, file size, CPU time), and where a cgroup hierarchy is writable, a cgroup with
// memory and pids limits that the whole sandbox joins. Reports what was applied and what not.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

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
std::vector<Rlimit> plannedRlimits(const plan::Limits& limits);

// The planned rlimits above this process's hard limits, each as a sentence naming the fix. The
// payload sets them in its own user namespace, where no hard limit can be raised (the kernel asks
// for CAP_SYS_RESOURCE in the initial one), so any of these stops the launch.
std::vector<std::string> rlimitsAboveHardLimits(const std::vector<Rlimit>& rlimits);

// In the payload, before exec; also sets RLIMIT_CORE to 0.
bool applyRlimits(const std::vector<Rlimit>& rlimits, std::string& error);

// In the launcher: the plan's memory and pids limits as cgroups, and CPU-time accounting for the
// whole sandbox, on cgroup v2 where the controller is available and writable, else on the v1
// controllers. Named after the launcher, made before the sandbox exists; init joins them before
// anything runs inside.
class Cgroups {
 public:
  // Creates the cgroups, writes the limits and opens each cgroup.procs. First removes, in each
  // hierarchy it uses, the cgroups of runs whose launcher is gone (sbx-run-PID where PID is no
  // running sbx-run: one killed with SIGKILL could not remove its own).
  void create(const plan::Limits& limits, LimitReport& report);
  // Moves `pid` (init) into them: system calls on descriptors opened by create(), no allocation
  // (the sandbox's init shares the launcher's memory at this point).
  void join(pid_t pid);
  // Adds what was applied, and what could not be, to `report`.
  void report(LimitReport& report) const;
  // The CPU time the whole sandbox has used, where it is accounted, and the plan's limit of it.
  std::optional<std::uint64_t> cpuUsedMs() const;
  std::uint64_t cpuLimitMs() const { return cpuLimitMs_; }
  void cleanup();
  ~Cgroups() { cleanup(); }

 private:
  struct Joined {
    std::string applied;  // "cgroup /sys/fs/cgroup/pids/pids.max 64"
    int procsFd = -1;
    bool ok = false;
  };
  std::vector<Joined> joined_;
  std::vector<std::string> created_;
  std::string cpuUsage_;  // cpu.stat or cpuacct.usage of the sandbox's cgroup
  std::uint64_t cpuLimitMs_ = 0;
};

}  // namespace sbx::run
