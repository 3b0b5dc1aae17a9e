// The JSON names of plan.h's enumerations, shared by the writer and the reader.
#include "plan/plan_json.h"

namespace sbx::plan {

std::string_view nameOf(DestinationKind kind) {
  switch (kind) {
    case DestinationKind::Host:
      return "host";
    case DestinationKind::Wildcard:
      return "wildcard";
    case DestinationKind::Any:
      return "any";
    case DestinationKind::Ip:
      return "ip";
    case DestinationKind::Cidr:
      return "cidr";
  }
  return "host";
}

std::string_view nameOf(NetworkMode mode) {
  return mode == NetworkMode::Host ? "host" : "isolated";
}

std::string_view nameOf(MountType type) {
  switch (type) {
    case MountType::Bind:
      return "bind";
    case MountType::Workspace:
      return "workspace";
    case MountType::Tmpfs:
      return "tmpfs";
    case MountType::Mask:
      return "mask";
    case MountType::Device:
      return "device";
  }
  return "bind";
}

std::string_view nameOf(ExposureKind kind) {
  return kind == ExposureKind::Env ? "env" : kind == ExposureKind::Inject ? "inject" : "file";
}

std::optional<std::uint64_t> limitNamed(const Limits& limits, std::string_view key) {
  if (key == "memoryBytes") return limits.memoryBytes;
  if (key == "pids") return limits.pids;
  if (key == "cpuMs") return limits.cpuMs;
  if (key == "openFiles") return limits.openFiles;
  if (key == "fileSizeBytes") return limits.fileSizeBytes;
  return std::nullopt;
}

}  // namespace sbx::plan
