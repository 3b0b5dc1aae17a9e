// What every sandbox runtime other than sbx-run loses of a task (OCI runtimes, bubblewrap): it has
// no egress proxy, no token broker, no Landlock, and grants no capability. One list, so that the
// targets say it in the same words.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

void addRuntimeLosses(const ExportInput& input, std::string_view runtime, std::vector<Loss>& losses);

// The checks sbx-run makes on the files it mounts that `runtime` does not: an executable pinned to
// a digest is not hashed at launch, and (unless `followsNoLinks`) a path inside the workspace is
// bound by a name that follows the workspace's symbolic links.
void addPathCheckLosses(const ExportInput& input, std::string_view runtime, bool followsNoLinks,
                        std::vector<Loss>& losses);

// The part of a workspace mount's target below the workspace ("bin" for /workspace/bin); empty
// for the workspace itself.
std::string insideWorkspace(const plan::Mount& m);

}  // namespace sbx::exporters
