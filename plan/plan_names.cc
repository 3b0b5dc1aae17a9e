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
  return kind == ExposureKind::Env ? "env" : "file";
}

}  // namespace sbx::plan
