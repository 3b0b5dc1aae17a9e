// How the planned mounts nest (mount_tree.h).
#include "runtime/mount_tree.h"

#include <algorithm>
#include <numeric>

#include "plan/mount_order.h"

namespace sbx::run {

namespace {

bool isBind(const PlannedMount& m) {
  return m.type == "bind" || m.type == "workspace" || m.type == "device";
}

}  // namespace

std::vector<std::size_t> placementOrder(const std::vector<PlannedMount>& mounts) {
  std::vector<std::size_t> order(mounts.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return plan::parentFirst(mounts[a].target, mounts[b].target); });
  // The tools' gates last: they copy each tool's executable from the finished tree and bind a
  // gate over it, wherever in the tree it lies.
  std::stable_partition(order.begin(), order.end(), [&](std::size_t i) { return mounts[i].type != "tool-gates"; });
  return order;
}

const PlannedMount* coveringMount(const std::vector<PlannedMount>& mounts, const std::vector<std::size_t>& order,
                                  std::size_t position) {
  const std::string& target = mounts[order[position]].target;
  for (std::size_t i = position; i-- > 0;) {
    const PlannedMount& m = mounts[order[i]];
    if (m.type == "mask" || m.type == "symlink") continue;
    // Placed parents first: the last one holding the target is the innermost.
    if (plan::pathWithin(target, m.target)) return &m;
  }
  return nullptr;
}

std::string hostBindHolding(const PlannedMount* cover) {
  if (!cover || (cover->type == "workspace" && !cover->readOnly) || !isBind(*cover)) return "";
  return cover->target;
}

bool coverHasSameFlags(const PlannedMount& m, const PlannedMount* cover) {
  return cover && isBind(*cover) && cover->readOnly == m.readOnly && cover->nosuid == m.nosuid &&
         cover->nodev == m.nodev && cover->noexec == m.noexec;
}

}  // namespace sbx::run
