// The mount plan: what the launcher mounts into the sandbox's fresh root, derived from the
// task's path grants, workspace, scratch, masks and devices. Parents come before children so the
// list can be applied in order.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "plan/plan.h"

namespace sbx::backends {

using Mount = plan::Mount;

// Default size of a scratch tmpfs without `size`.
constexpr std::uint64_t kDefaultScratchBytes = 64ull << 20;

std::vector<Mount> planMounts(const model::ResolvedTask& task);

}  // namespace sbx::backends
