// What a compiled filter costs, measured by running it in the interpreter: its size, the
// instructions executed to decide each allowed and each argument-checked syscall, and how much
// of it the kernel's action cache makes free. The benchmark prints these; tests hold the targets.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bpf/bpf_program.h"
#include "backends/seccomp/policy.h"

namespace sbx::seccomp {

// Argument vectors that reach every outcome of `f`'s comparisons: each argument alone at the
// values around every constant compared with (both halves of the word), then `randomCount`
// mixes of those values and random words.
std::vector<Args> probeArguments(const SyscallFilter& f, std::mt19937_64& rng, int randomCount);

struct PathRange {
  std::string syscall;
  unsigned shortest = 0, longest = 0;  // instructions executed, over probeArguments()
};

struct FilterMetrics {
  std::size_t instructions = 0;
  std::vector<PathRange> argumentChecked;  // native architecture, syscalls with argument rules
  std::size_t allowed = 0;                 // syscalls some argument vector allows
  double meanAllowedPath = 0;              // over those, the longest path to an allow
  unsigned maxAllowedPath = 0;
  double meanDeniedPath = 0;  // over known syscalls denied with zero arguments
  unsigned maxDeniedPath = 0;
  std::size_t unconditionalAllows = 0;  // syscalls allowed whatever the arguments
  std::size_t cacheable = 0;            // of those, the kernel's action cache proves constant
};

// Measures `program`, a compilation of `spec`, on the spec's first (native) architecture.
FilterMetrics measure(const FilterSpec& spec, const Program& program);

}  // namespace sbx::seccomp
