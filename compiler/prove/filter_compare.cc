#include "prove/filter_compare.h"

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <array>
#include <map>

#include <fmt/format.h>

#include "frontend/syscall_table.h"
#include "prove/bpf_partition.h"

namespace sbx::prove {

namespace {

// The order in which words are fixed: the architecture first, then the syscall number, so that
// the comparisons on the arguments are those of that one syscall's rules.
constexpr std::array<std::size_t, kFields> kOrder{1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

seccomp::SeccompData dataOf(const FixedFields& fixed) {
  auto word = [&](std::size_t i) { return std::uint64_t{fixed[i].value_or(0)}; };
  seccomp::SeccompData d;
  d.nr = static_cast<std::uint32_t>(word(0));
  d.arch = static_cast<std::uint32_t>(word(1));
  d.ip = word(2) | word(3) << 32;
  for (std::size_t a = 0; a < 6; ++a) d.args[a] = word(4 + 2 * a) | word(5 + 2 * a) << 32;
  return d;
}

class Explorer {
 public:
  Explorer(const seccomp::Program& l, const seccomp::Program& r,
           const std::function<bool(std::uint32_t, std::uint32_t)>& differs)
      : left_(l), right_(r), differs_(differs) {}

  // False when the exploration stopped: a counterexample, or undecided.
  bool explore(FixedFields& fixed, std::size_t depth) {
    FieldComparisons comparisons;
    std::string error;
    if (!collectComparisons(left_, fixed, comparisons, error) || !collectComparisons(right_, fixed, comparisons, error))
      return undecided(error);
    for (; depth < kFields; ++depth)
      if (!fixed[kOrder[depth]] && !comparisons[kOrder[depth]].empty()) break;
    if (depth == kFields) return evaluate(fixed);
    std::size_t field = kOrder[depth];
    std::vector<std::uint32_t> cells;
    if (!cellRepresentatives(comparisons[field], cells, error)) return undecided(error);
    for (std::uint32_t v : cells) {
      fixed[field] = v;
      if (!explore(fixed, depth + 1)) return false;
    }
    fixed[field].reset();
    return true;
  }

  FilterComparison result;

 private:
  bool evaluate(const FixedFields& fixed) {
    if (++result.cells > kMaxFilterCells)
      return undecided(fmt::format("the filters have more than {} cells", kMaxFilterCells));
    auto data = dataOf(fixed);
    auto l = seccomp::interpret(left_, data), r = seccomp::interpret(right_, data);
    if (!l.ok || !r.ok) return undecided("a filter misbehaved: " + (l.ok ? r.error : l.error));
    if (!differs_(l.action, r.action)) return true;
    result.result = FilterComparison::Result::Counterexample;
    result.counterexample = FilterCounterexample{data, l.action, r.action};
    return false;
  }
  bool undecided(const std::string& why) {
    result.result = FilterComparison::Result::Undecided;
    result.undecidedWhy = why;
    return false;
  }
  const seccomp::Program& left_;
  const seccomp::Program& right_;
  const std::function<bool(std::uint32_t, std::uint32_t)>& differs_;
};

std::string archName(std::uint32_t arch) {
  switch (arch) {
    case AUDIT_ARCH_X86_64:
      return "x86_64";
    case AUDIT_ARCH_AARCH64:
      return "aarch64";
    case AUDIT_ARCH_I386:
      return "i386";
  }
  return fmt::format("arch {:#x}", arch);
}

std::string syscallName(std::uint32_t arch, std::uint32_t nr) {
  std::optional<model::Arch> a;
  if (arch == AUDIT_ARCH_X86_64) a = model::Arch::X86_64;
  if (arch == AUDIT_ARCH_AARCH64) a = model::Arch::Aarch64;
  if (a) {
    static std::map<std::pair<model::Arch, int>, std::string> names = [] {
      std::map<std::pair<model::Arch, int>, std::string> m;
      for (const auto& name : frontend::knownSyscalls())
        for (auto each : {model::Arch::X86_64, model::Arch::Aarch64})
          if (auto n = frontend::syscallNumber(each, name)) m.emplace(std::pair(each, *n), name);
      return m;
    }();
    if (auto it = names.find({*a, static_cast<int>(nr)}); it != names.end()) return it->second;
  }
  return fmt::format("syscall#{:#x}", nr);
}

}  // namespace

FilterComparison compareFilters(const seccomp::Program& left, const seccomp::Program& right,
                                const std::function<bool(std::uint32_t, std::uint32_t)>& differs) {
  Explorer explorer(left, right, differs);
  FixedFields fixed;
  explorer.explore(fixed, 0);
  return explorer.result;
}

int actionGrant(std::uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
      return 2;
    case SECCOMP_RET_USER_NOTIF:
    case SECCOMP_RET_TRACE:
      return 1;
  }
  return 0;
}

std::string actionText(std::uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
      return "allow";
    case SECCOMP_RET_ERRNO:
      return fmt::format("errno {}", ret & SECCOMP_RET_DATA);
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
      return "kill";
    case SECCOMP_RET_TRAP:
      return "trap";
    case SECCOMP_RET_LOG:
      return "log";
    case SECCOMP_RET_USER_NOTIF:
      return "notify";
    case SECCOMP_RET_TRACE:
      return "trace";
  }
  return fmt::format("unknown action {:#x}", ret);
}

std::string callText(const seccomp::SeccompData& call) {
  std::string args;
  for (std::size_t i = 0; i < 6; ++i) args += fmt::format("{}{:#x}", i ? ", " : "", call.args[i]);
  std::string ip = call.ip ? fmt::format(" at ip {:#x}", call.ip) : "";
  return fmt::format("{}({}) on {}{}", syscallName(call.arch, call.nr), args, archName(call.arch), ip);
}

}  // namespace sbx::prove
