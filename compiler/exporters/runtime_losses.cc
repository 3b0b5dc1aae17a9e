#include "exporters/runtime_losses.h"

#include <fmt/format.h>

namespace sbx::exporters {

void addRuntimeLosses(const ExportInput& input, std::string_view runtime, std::vector<Loss>& losses) {
  if (!input.plan["egress"].empty())
    losses.push_back({fmt::format("egress to {} allowed destination(s)", input.plan["egress"].size()),
                      fmt::format("{}'s network namespace has no interface and no allowlist enforcer: every "
                                  "connection fails (safe, but the task cannot reach its destinations; run it under "
                                  "sbx-run, or export it to k8s)",
                                  runtime),
                      5});
  for (const auto& token : input.plan["tokens"])
    losses.push_back({fmt::format("the just-in-time token `{}`", token.value("secret", "")),
                      fmt::format("{} mints, scopes and revokes no token: the task would run without it, or with a "
                                  "long-lived secret put there by hand (run it under sbx-run)",
                                  runtime),
                      3});
  if (!input.plan["task"]["capabilities"].empty())
    losses.push_back({"the declared capabilities", "not granted: every capability set is empty, as under sbx-run", 5});
  if (input.plan["task"].value("limits", nlohmann::ordered_json::object()).contains("cpuMs"))
    losses.push_back({"CPU time of the whole sandbox",
                      "RLIMIT_CPU limits each process; sbx-run accounts the sandbox's cgroup as a whole", 5});
  losses.push_back({"Landlock", fmt::format("sbx-run's second fence on paths; {} does not apply it", runtime), 5});
}

}  // namespace sbx::exporters
