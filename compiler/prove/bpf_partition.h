// The argument space of seccomp filters cut into cells on which the filters' results are constant
// (docs/prove.md, "How it is exact"). A filter only ever compares a 32-bit word of seccomp_data
// (possibly ANDed with a constant) with a constant; within a cell every such comparison has one
// truth value, so one representative per cell stands for all its inputs.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bpf/bpf_program.h"

namespace sbx::prove {

// seccomp_data as 16 32-bit words: nr, arch, ip (low, high), then each argument's low and high half.
constexpr std::size_t kFields = 16;
using FixedFields = std::array<std::optional<std::uint32_t>, kFields>;

// One comparison a program makes: (word & mask) OP constant, OP one of BPF_JEQ, BPF_JGT, BPF_JGE,
// BPF_JSET.
struct Comparison {
  std::uint32_t mask = 0xffffffff;
  std::uint16_t op = 0;
  std::uint32_t constant = 0;
  bool operator==(const Comparison&) const = default;
};
using FieldComparisons = std::array<std::vector<Comparison>, kFields>;

// Bounds: past them the caller says "undecided" rather than sample.
constexpr unsigned kMaxMaskBits = 16;  // bits that masked comparisons and JSET test, per word
constexpr std::size_t kMaxCellsPerField = 1 << 16;

// Adds to `out` every comparison `program` can reach when the `fixed` words have their values and
// the others any value (both branches of a comparison on a free word are followed). False, with
// `error`, when the program does something this analysis does not model (scratch memory, the X
// register, arithmetic other than AND with a constant, a load that is not a whole aligned word).
bool collectComparisons(const seccomp::Program& program, const FixedFields& fixed, FieldComparisons& out,
                        std::string& error);

// One value of each cell of the 32-bit word that `comparisons` induce; false, with `error`, past
// the bounds above.
bool cellRepresentatives(const std::vector<Comparison>& comparisons, std::vector<std::uint32_t>& out,
                         std::string& error);

// The smallest v >= `low` with (v & mask) == pattern, if any (pattern within mask).
std::optional<std::uint32_t> smallestWithBits(std::uint32_t low, std::uint32_t mask, std::uint32_t pattern);

}  // namespace sbx::prove
