// The mount plan: what the launcher mounts into the sandbox's fresh root, derived from the
// task's path grants, workspace, scratch, masks and devices. Parents come before children so the
// list can be applied in order.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.h"

namespace sbx::backends {

struct Mount {
  enum class Type { Bind, Workspace, Tmpfs, Mask, Device };
  Type type = Type::Bind;
  std::string source;  // host path for Bind and Device; empty otherwise
  std::string target;  // path inside the sandbox
  bool readOnly = true;
  bool nosuid = true, nodev = true, noexec = false;
  std::optional<std::uint64_t> sizeBytes;  // Tmpfs
};

// Default size of a scratch tmpfs without `size`.
constexpr std::uint64_t kDefaultScratchBytes = 64ull << 20;

std::vector<Mount> planMounts(const model::Task& task);
nlohmann::ordered_json toJson(const std::vector<Mount>& mounts);
std::string_view typeName(Mount::Type type);

}  // namespace sbx::backends
