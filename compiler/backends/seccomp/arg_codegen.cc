// Strategies, each tried and the one with the shortest longest path kept:
// - sequential: each rule's comparisons in turn, words loaded once while they stay in A,
//   64-bit comparisons as high word then low word, `in` sets through a bit-cube test (all
//   values whose bits lie within a mask: one jset) plus equality tests for the rest;
// - one argument, 32 bits, ordered comparisons only: the syscall is a function of one word,
//   piecewise constant on intervals; it is emitted either as a few exceptional values
//   (jeq each, then the common action) or as a balanced search over the interval bounds.
#include "backends/seccomp/arg_codegen.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace sbx::seccomp {
namespace {

using Label = Assembler::Label;
constexpr std::uint64_t kLow32 = 0xffffffffull;

std::uint32_t lo(std::uint64_t v) {
  return static_cast<std::uint32_t>(v & kLow32);
}
std::uint32_t hi(std::uint64_t v) {
  return static_cast<std::uint32_t>(v >> 32);
}

// A holds the word; jumps to `yes` when it equals one of `values` (sorted, unique).
void emitInWord(Assembler& as, const std::vector<std::uint32_t>& values, Label yes, Label no) {
  std::vector<std::uint32_t> rest = values;
  // The largest cube based at 0: the k smallest values are every subset of the bits of their OR.
  for (std::size_t k = values.size(); k >= 2; --k) {
    std::uint32_t mask = 0;
    for (std::size_t i = 0; i < k; ++i) mask |= values[i];
    if (std::popcount(mask) > 16 || (std::size_t{1} << std::popcount(mask)) != k) continue;
    bool all = true;
    for (std::uint32_t sub = mask;; sub = (sub - 1) & mask) {
      all &= std::binary_search(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), sub);
      if (!all || sub == 0) break;
    }
    if (!all) continue;
    rest.assign(values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
    Label others = rest.empty() ? no : as.newLabel();
    as.jump(BPF_JSET, ~mask, others, yes);
    if (rest.empty()) return;
    as.bind(others);
    break;
  }
  // Equality tests; a long list is searched by halves.
  std::function<void(std::size_t, std::size_t)> search = [&](std::size_t from, std::size_t to) {
    if (to - from <= 4) {
      for (std::size_t i = from; i < to; ++i) {
        Label next = i + 1 == to ? no : as.newLabel();
        as.jump(BPF_JEQ, rest[i], yes, next);
        if (i + 1 != to) as.bind(next);
      }
      return;
    }
    std::size_t mid = from + (to - from) / 2;
    Label upper = as.newLabel(), lower = as.newLabel();
    as.jump(BPF_JGE, rest[mid], upper, lower);
    as.bind(lower);
    search(from, mid);
    as.bind(upper);
    search(mid, to);
  };
  search(0, rest.size());
}

// A holds the word: (A & mask) == value.
void emitMaskedWord(Assembler& as, std::uint32_t mask, std::uint32_t value, Label yes, Label no) {
  if (value == 0) {
    as.jump(BPF_JSET, mask, no, yes);
  } else if (value == mask && std::popcount(mask) == 1) {
    as.jump(BPF_JSET, mask, yes, no);
  } else if (mask == 0xffffffffu) {
    as.jump(BPF_JEQ, value, yes, no);
  } else {
    as.aluAnd(mask);
    as.jump(BPF_JEQ, value, yes, no);
  }
}

void emitCompare(Assembler& as, const Compare& c, Label yes, Label no) {
  std::uint32_t low = argLowOffset(c.arg), high = argHighOffset(c.arg);
  auto orderedWord = [&](Op op, std::uint32_t v, Label t, Label f) {
    switch (op) {
      case Op::Eq:
        as.jump(BPF_JEQ, v, t, f);
        break;
      case Op::Ne:
        as.jump(BPF_JEQ, v, f, t);
        break;
      case Op::Lt:
        as.jump(BPF_JGE, v, f, t);
        break;
      case Op::Le:
        as.jump(BPF_JGT, v, f, t);
        break;
      case Op::Gt:
        as.jump(BPF_JGT, v, t, f);
        break;
      case Op::Ge:
        as.jump(BPF_JGE, v, t, f);
        break;
      default:
        break;
    }
  };
  if (!c.wide) {
    as.load(low);
    switch (c.op) {
      case Op::MaskedEq:
        emitMaskedWord(as, lo(c.mask), lo(c.value), yes, no);
        return;
      case Op::MaskedNe:
        emitMaskedWord(as, lo(c.mask), lo(c.value), no, yes);
        return;
      case Op::In: {
        std::vector<std::uint32_t> v;
        for (auto x : c.set) v.push_back(lo(x));
        emitInWord(as, v, yes, no);
        return;
      }
      default:
        orderedWord(c.op, lo(c.value), yes, no);
        return;
    }
  }
  std::uint32_t vh = hi(c.value), vl = lo(c.value);
  switch (c.op) {
    case Op::Eq:
    case Op::Ne: {
      Label t = c.op == Op::Eq ? yes : no, f = c.op == Op::Eq ? no : yes;
      Label low32 = as.newLabel();
      as.load(high);
      as.jump(BPF_JEQ, vh, low32, f);
      as.bind(low32);
      as.load(low);
      as.jump(BPF_JEQ, vl, t, f);
      return;
    }
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      bool below = c.op == Op::Lt || c.op == Op::Le;
      Label whenHigher = below ? no : yes, whenLower = below ? yes : no;
      Label low32 = as.newLabel();
      as.load(high);
      if (vh == 0) {
        as.jump(BPF_JEQ, 0, low32, whenHigher);
      } else {
        Label equal = as.newLabel();
        as.jump(BPF_JGT, vh, whenHigher, equal);
        as.bind(equal);
        as.jump(BPF_JEQ, vh, low32, whenLower);
      }
      as.bind(low32);
      as.load(low);
      orderedWord(c.op, vl, yes, no);
      return;
    }
    case Op::MaskedEq:
    case Op::MaskedNe: {
      Label t = c.op == Op::MaskedEq ? yes : no, f = c.op == Op::MaskedEq ? no : yes;
      if (hi(c.mask) != 0) {
        Label low32 = lo(c.mask) != 0 ? as.newLabel() : t;
        as.load(high);
        emitMaskedWord(as, hi(c.mask), vh, low32, f);
        if (lo(c.mask) == 0) return;
        as.bind(low32);
      }
      as.load(low);
      emitMaskedWord(as, lo(c.mask), vl, t, f);
      return;
    }
    case Op::In: {
      // Group the values by their high word.
      as.load(high);
      std::size_t i = 0;
      while (i < c.set.size()) {
        std::size_t j = i;
        std::vector<std::uint32_t> lows;
        while (j < c.set.size() && hi(c.set[j]) == hi(c.set[i])) lows.push_back(lo(c.set[j++]));
        Label group = as.newLabel(), next = j == c.set.size() ? no : as.newLabel();
        as.load(high);
        as.jump(BPF_JEQ, hi(c.set[i]), group, next);
        as.bind(group);
        as.load(low);
        emitInWord(as, lows, yes, no);
        if (j != c.set.size()) as.bind(next);
        i = j;
      }
      return;
    }
  }
}

void emitSequential(Assembler& as, const std::vector<Rule>& rules, Action fallback) {
  for (std::size_t r = 0; r < rules.size(); ++r) {
    Label next = r + 1 == rules.size() ? as.exit(fallback) : as.newLabel();
    Label success = as.exit(rules[r].action);
    const auto& all = rules[r].all;
    for (std::size_t i = 0; i < all.size(); ++i) {
      Label holds = i + 1 == all.size() ? success : as.newLabel();
      emitCompare(as, all[i], holds, next);
      if (i + 1 != all.size()) as.bind(holds);
    }
    if (r + 1 != rules.size()) as.bind(next);
  }
  if (rules.empty()) as.jumpTo(as.exit(fallback));
}

// One narrow argument with ordered comparisons: the decision as intervals of that word.
struct Interval {
  std::uint32_t from;
  Action action;
};
bool intervalsOf(const SyscallFilter& f, const std::vector<Rule>& rules, unsigned& arg, std::vector<Interval>& out) {
  std::vector<std::uint64_t> points{0};
  bool first = true;
  for (const auto& r : rules)
    for (const auto& c : r.all) {
      if (c.wide || c.op == Op::MaskedEq || c.op == Op::MaskedNe) return false;
      if (!first && c.arg != arg) return false;
      arg = c.arg;
      first = false;
      auto add = [&](std::uint64_t v) {
        if (v <= kLow32) points.push_back(v);
      };
      if (c.op == Op::In) {
        for (auto v : c.set) add(v), add(v + 1);
      } else if (c.op == Op::Le || c.op == Op::Gt) {
        add(c.value + 1);
      } else {
        add(c.value);
        add(c.value + 1);
      }
    }
  if (first) return false;
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  Args args{};
  for (auto p : points) {
    args[arg] = p;
    Action action = f.fallback;
    for (const auto& r : rules)
      if (std::all_of(r.all.begin(), r.all.end(), [&](const Compare& c) { return holds(c, args); })) {
        action = r.action;
        break;
      }
    if (out.empty() || out.back().action != action) out.push_back({static_cast<std::uint32_t>(p), action});
  }
  return true;
}

void emitIntervalSearch(Assembler& as, const std::vector<Interval>& iv, std::size_t from, std::size_t to) {
  if (to - from == 1) {
    as.jumpTo(as.exit(iv[from].action));
    return;
  }
  std::size_t mid = from + (to - from) / 2;
  Label upper = to - mid == 1 ? as.exit(iv[mid].action) : as.newLabel();
  Label lower = mid - from == 1 ? as.exit(iv[from].action) : as.newLabel();
  as.jump(BPF_JGE, iv[mid].from, upper, lower);
  if (mid - from != 1) {
    as.bind(lower);
    emitIntervalSearch(as, iv, from, mid);
  }
  if (to - mid != 1) {
    as.bind(upper);
    emitIntervalSearch(as, iv, mid, to);
  }
}

// The intervals as exceptions to the most common action, when every exception is one value.
bool emitExceptions(Assembler& as, const std::vector<Interval>& iv) {
  std::map<Action, std::size_t> wide;  // action -> intervals longer than one value
  for (std::size_t i = 0; i < iv.size(); ++i) {
    std::uint64_t end = i + 1 < iv.size() ? iv[i + 1].from : 0x100000000ull;
    if (end - iv[i].from > 1) ++wide[iv[i].action];
  }
  if (wide.size() != 1) return false;
  Action common = wide.begin()->first;
  std::vector<const Interval*> exceptions;
  for (const auto& i : iv)
    if (i.action != common) exceptions.push_back(&i);
  for (std::size_t i = 0; i < exceptions.size(); ++i) {
    Label next = i + 1 == exceptions.size() ? as.exit(common) : as.newLabel();
    as.jump(BPF_JEQ, exceptions[i]->from, as.exit(exceptions[i]->action), next);
    if (i + 1 != exceptions.size()) as.bind(next);
  }
  if (exceptions.empty()) as.jumpTo(as.exit(common));
  return true;
}

}  // namespace

std::vector<Rule> mergeEqualities(const std::vector<Rule>& rules) {
  std::vector<Rule> out;
  auto single = [](const Rule& r) { return r.all.size() == 1 && (r.all[0].op == Op::Eq || r.all[0].op == Op::In); };
  for (const auto& r : rules) {
    if (!out.empty() && single(r) && single(out.back()) && out.back().action == r.action &&
        out.back().all[0].arg == r.all[0].arg && out.back().all[0].wide == r.all[0].wide) {
      Compare& c = out.back().all[0];
      if (c.op == Op::Eq) c.set = {c.value};
      c.op = Op::In;
      if (r.all[0].op == Op::Eq)
        c.set.push_back(r.all[0].value);
      else
        c.set.insert(c.set.end(), r.all[0].set.begin(), r.all[0].set.end());
      std::sort(c.set.begin(), c.set.end());
      c.set.erase(std::unique(c.set.begin(), c.set.end()), c.set.end());
      continue;
    }
    out.push_back(r);
  }
  return out;
}

void emitArgBlock(Assembler& as, const SyscallFilter& filter) {
  std::vector<Rule> rules = mergeEqualities(filter.rules);
  using Strategy = std::function<bool(Assembler&)>;
  std::vector<Strategy> strategies;
  strategies.push_back([&](Assembler& a) {
    emitSequential(a, rules, filter.fallback);
    return true;
  });
  unsigned arg = 0;
  std::vector<Interval> iv;
  if (intervalsOf(filter, rules, arg, iv)) {
    strategies.push_back([&, arg](Assembler& a) {
      a.load(argLowOffset(arg));
      return emitExceptions(a, iv);
    });
    strategies.push_back([&, arg](Assembler& a) {
      a.load(argLowOffset(arg));
      emitIntervalSearch(a, iv, 0, iv.size());
      return true;
    });
  }
  // Measure each strategy alone; emit the best into the real program.
  std::size_t best = 0;
  unsigned bestPath = ~0u;
  std::size_t bestSize = ~std::size_t{0};
  if (strategies.size() > 1) {
    for (std::size_t i = 0; i < strategies.size(); ++i) {
      Assembler trial;
      if (!strategies[i](trial)) continue;
      Program p;
      std::string error;
      if (!trial.finish(p, error)) continue;
      unsigned path = longestPath(p);
      if (path < bestPath || (path == bestPath && p.size() < bestSize)) {
        best = i;
        bestPath = path;
        bestSize = p.size();
      }
    }
  }
  strategies[best](as);
}

}  // namespace sbx::seccomp
