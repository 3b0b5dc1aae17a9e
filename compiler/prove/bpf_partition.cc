#include "prove/bpf_partition.h"

#include <algorithm>
#include <bit>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace sbx::prove {

namespace {

// What the accumulator holds: a constant, or a word of seccomp_data ANDed with a mask.
struct Accumulator {
  bool isField = false;
  std::size_t field = 0;
  std::uint32_t mask = 0xffffffff;
  std::uint32_t value = 0;  // the constant
  auto key() const { return std::tuple(isField, field, mask, value); }
};

bool holds(std::uint16_t op, std::uint32_t a, std::uint32_t k) {
  switch (op) {
    case BPF_JEQ:
      return a == k;
    case BPF_JGT:
      return a > k;
    case BPF_JGE:
      return a >= k;
    default:  // BPF_JSET
      return (a & k) != 0;
  }
}

class Walker {
 public:
  Walker(const seccomp::Program& p, const FixedFields& fixed, FieldComparisons& out)
      : p_(p), fixed_(fixed), out_(out) {}

  bool walk(std::size_t pc, Accumulator a, std::string& error) {
    while (true) {
      if (pc >= p_.size()) return fail(error, pc, "runs past the end");
      if (!seen_.insert(std::tuple_cat(std::tuple(pc), a.key())).second) return true;
      const sock_filter& in = p_[pc];
      std::uint16_t cls = BPF_CLASS(in.code);
      if (in.code == (BPF_LD | BPF_W | BPF_ABS)) {
        if (in.k % 4 != 0 || in.k / 4 >= kFields) return fail(error, pc, "loads an unaligned or out-of-range word");
        a = Accumulator{true, in.k / 4, 0xffffffff, 0};
      } else if (in.code == (BPF_LD | BPF_IMM)) {
        a = Accumulator{false, 0, 0xffffffff, in.k};
      } else if (in.code == (BPF_ALU | BPF_AND | BPF_K)) {
        if (a.isField)
          a.mask &= in.k;
        else
          a.value &= in.k;
      } else if (cls == BPF_RET) {
        if (BPF_RVAL(in.code) != BPF_K) return fail(error, pc, "returns a register");
        return true;
      } else if (in.code == (BPF_JMP | BPF_JA)) {
        pc += 1 + in.k;
        continue;
      } else if (cls == BPF_JMP && BPF_SRC(in.code) == BPF_K &&
                 (BPF_OP(in.code) == BPF_JEQ || BPF_OP(in.code) == BPF_JGT || BPF_OP(in.code) == BPF_JGE ||
                  BPF_OP(in.code) == BPF_JSET)) {
        std::uint16_t op = BPF_OP(in.code);
        std::optional<std::uint32_t> known = a.isField ? fixed_[a.field] : std::optional(a.value);
        if (known) {
          std::uint32_t v = a.isField ? *known & a.mask : *known;
          pc += 1 + (holds(op, v, in.k) ? in.jt : in.jf);
          continue;
        }
        Comparison c{a.mask, op, in.k};
        auto& list = out_[a.field];
        if (std::find(list.begin(), list.end(), c) == list.end()) list.push_back(c);
        if (!walk(pc + 1 + in.jt, a, error)) return false;
        pc += 1 + in.jf;
        continue;
      } else {
        return fail(error, pc, fmt::format("has opcode {:#x}, which the partition does not model", in.code));
      }
      ++pc;
    }
  }

 private:
  static bool fail(std::string& error, std::size_t pc, const std::string& what) {
    error = fmt::format("instruction {} {}", pc, what);
    return false;
  }
  const seccomp::Program& p_;
  const FixedFields& fixed_;
  FieldComparisons& out_;
  std::set<std::tuple<std::size_t, bool, std::size_t, std::uint32_t, std::uint32_t>> seen_;
};

}  // namespace

bool collectComparisons(const seccomp::Program& program, const FixedFields& fixed, FieldComparisons& out,
                        std::string& error) {
  Walker walker(program, fixed, out);
  return walker.walk(0, Accumulator{}, error);  // the kernel starts with A = 0
}

std::optional<std::uint32_t> smallestWithBits(std::uint32_t low, std::uint32_t mask, std::uint32_t pattern) {
  if ((low & mask) == pattern) return low;
  // Otherwise the answer agrees with `low` above some bit i where `low` has 0 and it has 1, and is
  // as small as the pattern allows below i; the lowest such i gives the smallest answer.
  for (unsigned i = 0; i < 32; ++i) {
    std::uint64_t bit = std::uint64_t{1} << i;
    std::uint32_t above = static_cast<std::uint32_t>(~((bit << 1) - 1));
    if (low & bit) continue;
    if ((mask & bit) && !(pattern & bit)) continue;
    if ((low & mask & above) != (pattern & above)) continue;
    std::uint32_t below = static_cast<std::uint32_t>(bit - 1);
    return (low & above) | static_cast<std::uint32_t>(bit) | (pattern & below);
  }
  return std::nullopt;
}

bool cellRepresentatives(const std::vector<Comparison>& comparisons, std::vector<std::uint32_t>& out,
                         std::string& error) {
  // Whole-word ordered and equality comparisons change value only at these points ...
  std::set<std::uint64_t> cuts{0};
  // ... and masked comparisons only with these bits.
  std::uint32_t bits = 0;
  for (const auto& c : comparisons) {
    if (c.op == BPF_JSET) {
      bits |= c.mask & c.constant;
    } else if (c.mask != 0xffffffff) {
      bits |= c.mask;
    } else if (c.op == BPF_JEQ) {
      cuts.insert(c.constant), cuts.insert(std::uint64_t{c.constant} + 1);
    } else if (c.op == BPF_JGT) {
      cuts.insert(std::uint64_t{c.constant} + 1);
    } else {
      cuts.insert(c.constant);
    }
  }
  cuts.insert(std::uint64_t{1} << 32);
  if (unsigned n = std::popcount(bits); n > kMaxMaskBits) {
    error = fmt::format("masked comparisons test {} bits of one word (the bound is {})", n, kMaxMaskBits);
    return false;
  }
  std::vector<std::uint64_t> points(cuts.begin(), cuts.end());
  // Every sub-pattern of `bits`, in every interval between cuts, where some value has it.
  std::uint32_t pattern = 0;
  do {
    for (std::size_t i = 0; i + 1 < points.size(); ++i) {
      auto v = smallestWithBits(static_cast<std::uint32_t>(points[i]), bits, pattern);
      if (v && *v < points[i + 1] && *v >= points[i]) out.push_back(*v);
      if (out.size() > kMaxCellsPerField) {
        error = fmt::format("one word has more than {} cells", kMaxCellsPerField);
        return false;
      }
    }
    pattern = (pattern - bits) & bits;  // the next sub-pattern of `bits`
  } while (pattern != 0);
  return true;
}

}  // namespace sbx::prove
