#include "prove/authority_compare.h"

#include "prove/filter_compare.h"

namespace sbx::prove {

void compareSyscalls(const seccomp::Program& newer, const seccomp::Program& older, Comparison& out) {
  auto result =
      compareFilters(newer, older, [](std::uint32_t n, std::uint32_t o) { return actionGrant(n) > actionGrant(o); });
  out.syscallCells = result.cells;
  if (result.result == FilterComparison::Result::Undecided) out.undecided.push_back("syscalls: " + result.undecidedWhy);
  if (const auto& c = result.counterexample)
    out.counterexamples.push_back({"syscall", callText(c->call), actionText(c->left), actionText(c->right)});
}

Comparison grantsBeyond(const backends::CompiledTask& newer, const backends::CompiledTask& older) {
  Comparison out;
  comparePaths(newer.plan, older.plan, out);
  compareEgress(newer.plan, older.plan, out);
  compareGrants(newer.plan, older.plan, out);
  compareSyscalls(newer.filter.program, older.filter.program, out);
  return out;
}

}  // namespace sbx::prove
