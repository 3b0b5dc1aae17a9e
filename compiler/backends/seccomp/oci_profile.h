// seccomp.json: the filter as an OCI runtime-spec `linux.seccomp` object, which is also the
// Docker / Podman profile format, built from the flattened (libseccomp-form) specification.
#pragma once
#include <nlohmann/json.hpp>

#include "backends/seccomp/flat_rules.h"

namespace sbx::seccomp {

nlohmann::ordered_json ociProfile(const FlatFilter& flat);

}  // namespace sbx::seccomp
