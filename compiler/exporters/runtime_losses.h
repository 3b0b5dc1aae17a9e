// What every sandbox runtime other than sbx-run loses of a task (OCI runtimes, bubblewrap): it has
// no egress proxy, no token broker, no Landlock, and grants no capability. One list, so that the
// targets say it in the same words.
#pragma once
#include <string_view>
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

void addRuntimeLosses(const ExportInput& input, std::string_view runtime, std::vector<Loss>& losses);

}  // namespace sbx::exporters
