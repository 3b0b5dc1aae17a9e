// Differential checking of one specification: sbxc's program, libseccomp's programs (default
// and binary tree) and the specification's own evaluate() must agree on every architecture,
// syscall number 0-1023, x32 and i386 numbers, and boundary and random argument vectors.
#pragma once
#include <cstdint>
#include <string>

#include "bpf/bpf_program.h"
#include "backends/seccomp/policy.h"

namespace sbx::test {

struct DiffReport {
  std::size_t cases = 0;
  std::size_t mismatches = 0;
  std::string first;  // the first mismatch, described
};

// Which of libseccomp's programs take part; None compares sbxc with the specification alone, for
// policies libseccomp cannot express (more flat rules than kMaxFlatRulesPerSyscall).
enum class References { None, Default, DefaultAndBinaryTree };

// `external`, when given, is one more program that must agree (libseccomp's compilation of an
// imported profile, say).
DiffReport differential(const seccomp::FilterSpec& spec, std::uint64_t seed, References references,
                        const seccomp::Program* external = nullptr);

}  // namespace sbx::test
