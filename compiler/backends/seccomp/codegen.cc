// Layout of a filter:
//
//   ld arch; jeq ARCH_1 ...; jeq ARCH_n ...; ret FOREIGN
//   per architecture:
//     ld nr
//     jeq NR_1 -> block 1 ... (the argument-checked syscalls, most expensive block first)
//     a search tree over syscall-number intervals that share one constant action
//     the argument blocks
//   one shared ret per action
//
// Every syscall number space [0, 2^32) is cut into maximal intervals of equal action: runs of
// allowed syscalls, unknown numbers (ENOSYS), the x32 range (foreign), ... The numbers of
// argument-checked syscalls are tested before the tree and so are "don't care" in it, which lets
// their neighbours merge. The tree is an optimal alphabetic tree (Knuth's dynamic program)
// weighted by the number of known syscalls in each interval, so the mean path over real
// syscalls is short. Unconditional allows are reached through loads of arch and nr, jumps on
// constants and a return only, which is what the kernel's action cache needs to prove them
// constant (seccomp_is_const_allow).
#include "backends/seccomp/codegen.h"

#include <algorithm>
#include <functional>

#include "backends/seccomp/arg_codegen.h"
#include "backends/seccomp/assembler.h"

namespace sbx::seccomp {
namespace {

using Label = Assembler::Label;

// Argument-checked syscalls tested one by one before the tree; more go into the tree.
constexpr std::size_t kChained = 4;

struct Leaf {
  std::uint32_t from;  // interval start; it ends where the next begins
  Action action = kAllow;
  const SyscallFilter* block = nullptr;  // an argument-checked syscall placed in the tree
  std::uint64_t weight = 1;
};

std::vector<Leaf> intervals(const ArchFilter& af, const FilterSpec& spec,
                            const std::vector<const SyscallFilter*>& chained,
                            const std::vector<const SyscallFilter*>& inTree) {
  std::vector<Leaf> out;
  auto push = [&](std::uint32_t nr, Action action, const SyscallFilter* block, std::uint64_t weight) {
    if (!out.empty() && block == nullptr && out.back().block == nullptr && out.back().action == action) {
      out.back().weight += weight;
      return;
    }
    out.push_back({nr, action, block, weight});
  };
  std::uint32_t top = af.known.empty() ? 0 : af.known.back() + 1;
  for (std::uint32_t nr = 0; nr < top; ++nr) {
    const SyscallFilter* f = findSyscall(af, nr);
    if (f != nullptr && std::find(chained.begin(), chained.end(), f) != chained.end()) continue;  // don't care
    if (f != nullptr && std::find(inTree.begin(), inTree.end(), f) != inTree.end()) {
      push(nr, 0, f, 1000);
      continue;
    }
    bool known = isKnown(af, nr);
    Action action = f != nullptr ? f->fallback : known ? af.defaultAction : af.unknownAction;
    push(nr, action, nullptr, known ? 8 : 1);
  }
  // After the table: unknown numbers, then (x86_64) the x32 numbers, then -1.
  if (af.x32Guard) {
    if (top < kX32SyscallBit) push(top, af.unknownAction, nullptr, 1);
    push(kX32SyscallBit, spec.foreignArch, nullptr, 1);
    push(0xffffffffu, af.unknownAction, nullptr, 1);
  } else {
    push(top, af.unknownAction, nullptr, 1);
  }
  return out;
}

// Knuth's O(n^2) optimal alphabetic tree: root[i][j] is the leaf index where [i, j] splits.
std::vector<std::vector<std::size_t>> optimalSplits(const std::vector<Leaf>& leaves) {
  std::size_t n = leaves.size();
  std::vector<std::uint64_t> prefix(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + leaves[i].weight;
  std::vector<std::vector<std::uint64_t>> cost(n, std::vector<std::uint64_t>(n, 0));
  std::vector<std::vector<std::size_t>> root(n, std::vector<std::size_t>(n, 0));
  for (std::size_t i = 0; i + 1 < n; ++i) root[i][i + 1] = i + 1;
  for (std::size_t i = 0; i + 1 < n; ++i) cost[i][i + 1] = prefix[i + 2] - prefix[i];
  for (std::size_t len = 2; len < n; ++len) {
    for (std::size_t i = 0; i + len < n; ++i) {
      std::size_t j = i + len;
      std::uint64_t best = ~0ull;
      std::size_t bestK = root[i][j - 1];
      for (std::size_t k = std::max<std::size_t>(root[i][j - 1], i + 1); k <= std::min(root[i + 1][j], j); ++k) {
        std::uint64_t c = cost[i][k - 1] + cost[k][j];
        if (c < best) {
          best = c;
          bestK = k;
        }
      }
      cost[i][j] = best + prefix[j + 1] - prefix[i];
      root[i][j] = bestK;
    }
  }
  return root;
}

class Generator {
 public:
  explicit Generator(const FilterSpec& spec) : spec_(spec) {}

  bool run(Program& program, std::string& error) {
    as_.load(kOffsetArch);
    std::vector<Label> archLabels;
    for (std::size_t i = 0; i < spec_.arches.size(); ++i) {
      archLabels.push_back(as_.newLabel());
      Label next = i + 1 == spec_.arches.size() ? as_.exit(spec_.foreignArch) : as_.newLabel();
      as_.jump(BPF_JEQ, spec_.arches[i].auditArch, archLabels.back(), next);
      if (i + 1 != spec_.arches.size()) as_.bind(next);
    }
    if (spec_.arches.empty()) as_.jumpTo(as_.exit(spec_.foreignArch));
    for (std::size_t i = 0; i < spec_.arches.size(); ++i) {
      as_.bind(archLabels[i]);
      emitArch(spec_.arches[i]);
    }
    return as_.finish(program, error);
  }

 private:
  void emitArch(const ArchFilter& af) {
    as_.load(kOffsetNr);
    std::vector<const SyscallFilter*> checked;
    for (const auto& f : af.syscalls)
      if (!f.rules.empty()) checked.push_back(&f);
    // The most expensive blocks go first in the chain, so no block's total path grows long.
    std::vector<std::pair<unsigned, const SyscallFilter*>> costs;
    for (const auto* f : checked) costs.emplace_back(blockCost(*f), f);
    std::stable_sort(costs.begin(), costs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<const SyscallFilter*> chained, inTree;
    for (const auto& [cost, f] : costs) (chained.size() < kChained ? chained : inTree).push_back(f);

    std::vector<std::pair<Label, const SyscallFilter*>> blocks;
    for (const auto* f : chained) {
      Label block = as_.newLabel(), next = as_.newLabel();
      as_.jump(BPF_JEQ, f->nr, block, next);
      blocks.emplace_back(block, f);
      as_.bind(next);
    }
    std::vector<Leaf> leaves = intervals(af, spec_, chained, inTree);
    auto root = optimalSplits(leaves);
    std::function<Label(std::size_t, std::size_t)> target = [&](std::size_t i, std::size_t j) -> Label {
      if (i == j) {
        if (leaves[i].block == nullptr) return as_.exit(leaves[i].action);
        Label block = as_.newLabel();
        blocks.emplace_back(block, leaves[i].block);
        return block;
      }
      return as_.newLabel();
    };
    std::function<void(std::size_t, std::size_t)> tree = [&](std::size_t i, std::size_t j) {
      std::size_t k = root[i][j];
      Label upper = target(k, j), lower = target(i, k - 1);
      as_.jump(BPF_JGE, leaves[k].from, upper, lower);
      if (i != k - 1) {
        as_.bind(lower);
        tree(i, k - 1);
      }
      if (k != j) {
        as_.bind(upper);
        tree(k, j);
      }
    };
    if (leaves.size() == 1) {
      as_.jumpTo(target(0, 0));
    } else {
      tree(0, leaves.size() - 1);
    }
    for (const auto& [label, f] : blocks) {
      as_.bind(label);
      emitArgBlock(as_, *f);
    }
  }

  static unsigned blockCost(const SyscallFilter& f) {
    Assembler trial;
    trial.load(kOffsetNr);
    emitArgBlock(trial, f);
    Program p;
    std::string error;
    return trial.finish(p, error) ? longestPath(p) : 0;
  }

  const FilterSpec& spec_;
  Assembler as_;
};

}  // namespace

bool generateSbxc(const FilterSpec& spec, Program& program, std::string& error) {
  return Generator(spec).run(program, error);
}

}  // namespace sbx::seccomp
