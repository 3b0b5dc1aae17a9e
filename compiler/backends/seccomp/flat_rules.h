// The specification in the form libseccomp and OCI profiles understand: for each syscall, rules
// that are conjunctions of at most one masked-equality test per argument, pairwise disjoint, so
// that no rule order or precedence is needed. First-match order, 32-bit comparisons, ranges and
// negations are all rewritten into such tests (ternary bit patterns, "cubes"), exactly.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/seccomp/policy.h"

namespace sbx::seccomp {

// (arg & mask) == value over all 64 bits; mask 0: the argument is not tested.
struct Cube {
  std::uint64_t mask = 0;
  std::uint64_t value = 0;
  friend bool operator==(const Cube&, const Cube&) = default;
};
using Box = std::array<Cube, 6>;  // a conjunction over the six arguments

struct FlatRule {
  std::uint32_t nr = 0;
  std::string name;
  Action action = kAllow;
  Box args{};
};

struct FlatArch {
  model::Arch arch = model::Arch::X86_64;
  std::vector<FlatRule> rules;  // by nr, then in region order
};

struct FlatFilter {
  Action defaultAction = kAllow;  // what libseccomp returns when no rule matches
  Action badArch = kKillProcess;
  std::vector<FlatArch> arches;
};

// A filter holds at most 4096 instructions and every flat rule costs at least one, so a syscall
// needing more rules than this cannot be loaded in that form; the bound also keeps libseccomp's
// rule merging (quadratic in the rules of one syscall) fast.
inline constexpr std::size_t kMaxFlatRulesPerSyscall = 1024;

// Fails (returns false, with `error` set) only when a syscall needs more than `maxRules` rules.
// `failedSyscall` names the syscall whose conditions were too many.
bool flatten(const FilterSpec& spec, FlatFilter& out, std::string& error,
             std::size_t maxRules = kMaxFlatRulesPerSyscall, std::string* failedSyscall = nullptr);

// The disjoint cubes whose union is the set of arguments where `c` holds (all 64 bits shown).
std::vector<Cube> cubesOf(const Compare& c);

}  // namespace sbx::seccomp
