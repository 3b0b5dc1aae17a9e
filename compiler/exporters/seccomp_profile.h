// The task's seccomp filter in the OCI `linux.seccomp` format, as the runtimes that read it
// (runc, crun, Docker, Podman, the kubelet's Localhost profiles) take it, with what that format
// leaves to the runtime. Shared by every exporter that ships the filter as a profile.
#pragma once
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

// The profile, and into `losses` what it cannot say (the foreign-architecture action, `notify`
// without a seccomp agent).
nlohmann::ordered_json runtimeSeccompProfile(const ExportInput& input, std::vector<Loss>& losses);

}  // namespace sbx::exporters
