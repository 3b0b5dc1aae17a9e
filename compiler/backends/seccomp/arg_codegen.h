// Code for one argument-checked syscall: its rules (first match decides) and fallback, as the
// shortest BPF the generator can find among a few strategies, measured by the longest path.
#pragma once
#include "backends/seccomp/assembler.h"
#include "backends/seccomp/policy.h"

namespace sbx::seccomp {

// Emits at the current position; every path ends at an exit of `as`. The accumulator holds the
// syscall number on entry.
void emitArgBlock(Assembler& as, const SyscallFilter& filter);

// The rules with consecutive equality tests of one argument and one action merged into `in`.
std::vector<Rule> mergeEqualities(const std::vector<Rule>& rules);

}  // namespace sbx::seccomp
