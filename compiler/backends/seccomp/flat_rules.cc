// Cube algebra: comparisons -> disjoint ternary bit patterns, boxes (conjunctions over arguments)
// and box subtraction, which turns first-match rule lists into disjoint regions.
#include "backends/seccomp/flat_rules.h"

#include <fmt/format.h>

namespace sbx::seccomp {
namespace {

constexpr std::uint64_t kLow32 = 0xffffffffull;

std::uint64_t bitsFrom(unsigned i) {  // bits i..63
  return i == 0 ? ~0ull : ~((1ull << i) - 1);
}

bool intersect(const Cube& a, const Cube& b, Cube& out) {
  if (((a.value ^ b.value) & a.mask & b.mask) != 0) return false;
  out = {a.mask | b.mask, a.value | b.value};
  return true;
}

// a \ b as disjoint cubes.
std::vector<Cube> subtract(const Cube& a, const Cube& b) {
  Cube both;
  if (!intersect(a, b, both)) return {a};
  std::vector<Cube> out;
  Cube cur = a;
  std::uint64_t extra = b.mask & ~a.mask;  // bits b fixes and a leaves free
  for (unsigned i = 0; i < 64; ++i) {
    std::uint64_t bit = 1ull << i;
    if ((extra & bit) == 0) continue;
    out.push_back({cur.mask | bit, cur.value | (~b.value & bit)});
    cur.mask |= bit;
    cur.value |= b.value & bit;
  }
  return out;  // what is left in `cur` lies inside b
}

std::vector<Cube> complement(const std::vector<Cube>& cubes) {
  std::vector<Cube> rest{Cube{}};
  for (const auto& c : cubes) {
    std::vector<Cube> next;
    for (const auto& r : rest) {
      auto pieces = subtract(r, c);
      next.insert(next.end(), pieces.begin(), pieces.end());
    }
    rest = std::move(next);
  }
  return rest;
}

// x < v over the bits in `top` (v <= top): x agrees with v above some bit i where v has a 1,
// and has a 0 there.
std::vector<Cube> lessThan(std::uint64_t v, std::uint64_t top, unsigned width) {
  std::vector<Cube> out;
  for (int i = static_cast<int>(width) - 1; i >= 0; --i) {
    std::uint64_t bit = 1ull << i;
    if ((v & bit) == 0) continue;
    std::uint64_t mask = top & bitsFrom(static_cast<unsigned>(i));
    out.push_back({mask, v & mask & ~bit});
  }
  return out;
}

std::vector<Cube> greaterThan(std::uint64_t v, std::uint64_t top, unsigned width) {
  std::vector<Cube> out;
  for (int i = static_cast<int>(width) - 1; i >= 0; --i) {
    std::uint64_t bit = 1ull << i;
    if ((v & bit) != 0) continue;
    std::uint64_t mask = top & bitsFrom(static_cast<unsigned>(i));
    out.push_back({mask, (v & mask) | bit});
  }
  return out;
}

using Boxes = std::vector<Box>;

Boxes boxesOf(const Rule& rule, std::size_t maxRules) {
  Boxes boxes{Box{}};
  for (const auto& c : rule.all) {
    if (boxes.size() > maxRules) break;
    Boxes next;
    for (const auto& cube : cubesOf(c))
      for (const auto& b : boxes) {
        Cube merged;
        if (!intersect(b[c.arg], cube, merged)) continue;
        Box nb = b;
        nb[c.arg] = merged;
        next.push_back(nb);
      }
    boxes = std::move(next);
  }
  return boxes;
}

// a \ b as disjoint boxes.
void subtractBox(const Box& a, const Box& b, Boxes& out) {
  Box cur = a;
  for (unsigned k = 0; k < 6; ++k) {
    Cube both;
    if (!intersect(cur[k], b[k], both)) {
      out.push_back(cur);
      return;
    }
  }
  for (unsigned k = 0; k < 6; ++k) {
    if (b[k].mask == 0) continue;
    for (const auto& piece : subtract(cur[k], b[k])) {
      Box nb = cur;
      nb[k] = piece;
      out.push_back(nb);
    }
    intersect(cur[k], b[k], cur[k]);
  }
}

}  // namespace

std::vector<Cube> cubesOf(const Compare& c) {
  std::uint64_t top = c.wide ? ~0ull : kLow32;
  unsigned width = c.wide ? 64 : 32;
  switch (c.op) {
    case Op::Eq:
      if (c.value > top) return {};
      return {{top, c.value}};
    case Op::Ne:
      if (c.value > top) return {Cube{}};
      return complement({{top, c.value}});
    case Op::Lt:
      if (c.value > top) return {Cube{}};
      return lessThan(c.value, top, width);
    case Op::Le:
      if (c.value >= top) return {Cube{}};
      return lessThan(c.value + 1, top, width);
    case Op::Gt:
      if (c.value >= top) return {};
      return greaterThan(c.value, top, width);
    case Op::Ge:
      if (c.value == 0) return {Cube{}};
      if (c.value > top) return {};
      return greaterThan(c.value - 1, top, width);
    case Op::MaskedEq:
    case Op::MaskedNe: {
      std::uint64_t mask = c.mask & top;
      std::vector<Cube> eq;
      if ((c.value & ~mask) == 0) eq.push_back({mask, c.value});
      return c.op == Op::MaskedEq ? eq : complement(eq);
    }
    case Op::In: {
      std::vector<Cube> out;
      for (auto v : c.set)
        if (v <= top) out.push_back({top, v});
      return out;
    }
  }
  return {};
}

bool flatten(const FilterSpec& spec, FlatFilter& out, std::string& error, std::size_t maxRules,
             std::string* failedSyscall) {
  out = {};
  out.badArch = spec.foreignArch;
  // libseccomp has one default for everything; the specification has one for unknown numbers
  // and one for known syscalls. The former becomes libseccomp's default (it covers numbers no
  // rule can enumerate), the latter is stated for every known syscall.
  out.defaultAction = spec.arches.empty() ? spec.defaultAction : spec.arches[0].unknownAction;
  for (const auto& af : spec.arches) {
    FlatArch fa;
    fa.arch = af.arch;
    for (std::size_t i = 0; i < af.known.size(); ++i) {
      std::uint32_t nr = af.known[i];
      const SyscallFilter* f = findSyscall(af, nr);
      if (f == nullptr) {
        if (af.defaultAction != out.defaultAction) fa.rules.push_back({nr, af.names[i], af.defaultAction, Box{}});
        continue;
      }
      Boxes covered;
      std::size_t count = 0;
      auto emit = [&](const Boxes& region, Action action) {
        count += region.size();
        if (action == out.defaultAction) return;
        for (const auto& b : region) fa.rules.push_back({nr, f->name, action, b});
      };
      auto minus = [&](Boxes region) {
        for (const auto& c : covered) {
          Boxes next;
          for (const auto& b : region) subtractBox(b, c, next);
          region = std::move(next);
          if (region.size() > maxRules) break;
        }
        return region;
      };
      for (const auto& rule : f->rules) {
        Boxes mine = boxesOf(rule, maxRules);
        if (mine.size() > maxRules) count = mine.size();
        if (count > maxRules) break;
        emit(minus(mine), rule.action);
        covered.insert(covered.end(), mine.begin(), mine.end());
        if (count > maxRules) break;
      }
      if (count <= maxRules) emit(minus({Box{}}), f->fallback);
      if (count > maxRules) {
        error = fmt::format(
            "the conditions on syscall `{}` need more than {} rules in libseccomp / OCI form (seccomp.json)", f->name,
            maxRules);
        if (failedSyscall != nullptr) *failedSyscall = f->name;
        return false;
      }
    }
    out.arches.push_back(std::move(fa));
  }
  return true;
}

}  // namespace sbx::seccomp
