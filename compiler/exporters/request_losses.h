// What a target that has no inspecting proxy loses of the request rules of a task (the requests an
// action consists of, and the approval of each) and of its injected secrets. One list, so that the
// targets say it in the same words. k8s writes CiliumNetworkPolicy L7 rules instead (k8s_requests.h).
#pragma once
#include <string_view>
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

// An action's request rules, and its approval when the proxy is what would hold its requests.
void addRequestRuleLosses(const ExportInput& input, std::string_view runtime, std::vector<Loss>& losses);

// A secret the proxy would add to a tool's requests: nothing on `target`'s side mints or adds it.
void addInjectionLosses(const ExportInput& input, std::string_view target, std::vector<Loss>& losses);

}  // namespace sbx::exporters
