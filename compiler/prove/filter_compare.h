// Two seccomp programs compared on every input, exactly: the inputs are cut into cells on which
// both programs' results are constant (bpf_partition.h), one word at a time -- the architecture,
// then the syscall number, then the rest, each cut by the comparisons still reachable once the
// words before it are fixed -- and both programs run on one representative of every cell.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "bpf/bpf_interpreter.h"
#include "bpf/bpf_program.h"

namespace sbx::prove {

// Past this many cells in all the comparison is undecided, not sampled.
constexpr std::uint64_t kMaxFilterCells = 1 << 22;

struct FilterCounterexample {
  seccomp::SeccompData call;
  std::uint32_t left = 0, right = 0;  // the two programs' return values
};

struct FilterComparison {
  enum class Result { Holds, Counterexample, Undecided } result = Result::Holds;
  std::optional<FilterCounterexample> counterexample;
  std::string undecidedWhy;
  std::uint64_t cells = 0;  // inputs evaluated
};

// Whether `differs(left result, right result)` is false on every input; the first input where it
// is true is the counterexample.
FilterComparison compareFilters(const seccomp::Program& left, const seccomp::Program& right,
                                const std::function<bool(std::uint32_t, std::uint32_t)>& differs);

// How much a seccomp return value lets the call happen: 2 it runs (allow, log), 1 a supervisor
// decides (user notification, ptrace), 0 it does not (errno, trap, kill).
int actionGrant(std::uint32_t ret);
// The action as policy tests spell it: "allow", "errno 1", "kill", ...
std::string actionText(std::uint32_t ret);
// "openat(0xffffff9c, 0x0, 0x41, ...) on x86_64": the call as a counterexample shows it.
std::string callText(const seccomp::SeccompData& call);

}  // namespace sbx::prove
