// The task's limits that are process resource limits: which plan key becomes which RLIMIT_, in
// what unit. One table for sbx-run (setrlimit) and the exporters (OCI `RLIMIT_AS`, prlimit `--as`,
// systemd `LimitAS=`), whose names all derive from `name`.
#pragma once
#include <sys/resource.h>

#include <cstdint>

namespace sbx {

struct RlimitRow {
  const char* planKey;  // in plan.json's task.limits
  int resource;         // RLIMIT_*
  const char* name;     // "as": RLIMIT_AS, prlimit --as, systemd LimitAS=
  std::uint64_t scale;  // plan units per rlimit unit (cpu: milliseconds per second)
};

inline constexpr RlimitRow kRlimitRows[] = {{"memoryBytes", RLIMIT_AS, "as", 1},
                                            {"pids", RLIMIT_NPROC, "nproc", 1},
                                            {"openFiles", RLIMIT_NOFILE, "nofile", 1},
                                            {"fileSizeBytes", RLIMIT_FSIZE, "fsize", 1},
                                            {"cpuMs", RLIMIT_CPU, "cpu", 1000}};

// The rlimit value of a plan value, rounded up to whole units so that a limit is never tighter
// than declared.
inline constexpr std::uint64_t rlimitValue(const RlimitRow& row, std::uint64_t planValue) {
  return (planValue + row.scale - 1) / row.scale;
}

}  // namespace sbx
