// Model -> filter specification: the exact decision a seccomp filter must make for every
// architecture, syscall number and argument vector, with the tier baselines merged in.
// Both code generators compile this specification, and the tests use evaluate() as the oracle.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/model.h"

namespace sbx::seccomp {

// A SECCOMP_RET_* value, errno data included.
using Action = std::uint32_t;
constexpr Action kKillProcess = 0x80000000u;
constexpr Action kTrap = 0x00030000u;
constexpr Action kNotify = 0x7fc00000u;
constexpr Action kLog = 0x7ffc0000u;
constexpr Action kAllow = 0x7fff0000u;
constexpr Action errnoAction(int e) {
  return 0x00050000u | (static_cast<std::uint32_t>(e) & 0xffffu);
}
// allow, log and notify let the call run (notify: if the supervisor says so).
bool isPermissive(Action a);
// "allow", "errno 1", "kill", "trap", "log", "notify".
std::string actionName(Action a);

constexpr std::uint32_t kAuditArchX86_64 = 0xc000003eu;
constexpr std::uint32_t kAuditArchI386 = 0x40000003u;
constexpr std::uint32_t kAuditArchAarch64 = 0xc00000b7u;
constexpr std::uint32_t kX32SyscallBit = 0x40000000u;
std::uint32_t auditArch(model::Arch arch);

enum class Op { Eq, Ne, Lt, Le, Gt, Ge, MaskedEq, MaskedNe, In };

// One comparison of a syscall argument, unsigned. Narrow comparisons see the low 32 bits only.
// MaskedEq: (arg & mask) == value; MaskedNe: (arg & mask) != value; In: arg is one of `set`.
struct Compare {
  unsigned arg = 0;
  bool wide = true;
  Op op = Op::Eq;
  std::uint64_t value = 0;
  std::uint64_t mask = 0;
  std::vector<std::uint64_t> set;  // sorted, unique
  friend bool operator==(const Compare&, const Compare&) = default;
};

struct Rule {
  std::vector<Compare> all;  // every comparison must hold; empty: always
  Action action = kAllow;
  friend bool operator==(const Rule&, const Rule&) = default;
};

// The first rule whose comparisons hold decides; when none does, `fallback`.
struct SyscallFilter {
  std::uint32_t nr = 0;
  std::string name;
  std::vector<Rule> rules;
  Action fallback = kAllow;
};

struct ArchFilter {
  model::Arch arch = model::Arch::X86_64;
  std::uint32_t auditArch = kAuditArchX86_64;
  bool x32Guard = false;                // numbers >= 0x40000000 get the foreign action
  std::vector<std::uint32_t> known;     // sorted: the numbers libseccomp's table names
  std::vector<std::string> names;       // parallel to `known`
  std::vector<SyscallFilter> syscalls;  // sorted by nr: known syscalls not decided by `defaultAction` alone
  Action defaultAction = kAllow;        // known syscalls not listed
  Action unknownAction = kAllow;        // numbers not in the table
};

struct FilterSpec {
  std::vector<ArchFilter> arches;
  Action foreignArch = kKillProcess;  // architectures not listed, and x32 on x86_64
  Action defaultAction = kAllow;      // the policy's default, as stated in plan.json
};

struct SeccompFacts {
  int tier = 1;
  bool networkNeeded = false;  // egress declared by the task or a tool, or host network
};
SeccompFacts factsOf(const model::ResolvedTask& task, int tier);

FilterSpec buildSpec(const model::ResolvedTask& task, const SeccompFacts& facts);

using Args = std::array<std::uint64_t, 6>;
bool holds(const Compare& c, const Args& args);
// The action the filter must return; the oracle of every differential test.
Action evaluate(const FilterSpec& spec, std::uint32_t arch, std::uint32_t nr, const Args& args);
const SyscallFilter* findSyscall(const ArchFilter& arch, std::uint32_t nr);
bool isKnown(const ArchFilter& arch, std::uint32_t nr);

}  // namespace sbx::seccomp
