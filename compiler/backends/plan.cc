#include "backends/plan.h"

#include "backends/mount_plan.h"
#include "backends/token_plan.h"
#include "model/model_json.h"
#include "version.h"

namespace sbx::backends {

nlohmann::ordered_json buildPlan(const model::Task& task, const model::Model& model) {
  nlohmann::ordered_json plan;
  plan["schema"] = kPlanSchema;
  plan["compiler"] = {{"name", "sbxc"}, {"version", SBXC_VERSION}};
  plan["task"] = model::toJson(task, model, {});
  // The syscall rules live on compiled, in seccomp.bpf/.pfc/.json (plan["seccomp"] names them);
  // left out here they would be most of the file sbx-run reads on every start.
  plan["task"].erase("syscalls");
  plan["mounts"] = toJson(planMounts(task));
  // The allowlist the launcher's egress proxy enforces (and the exporters translate): the task's
  // destinations, then each tool's, marked with the tool that alone may use them.
  auto egress = plan["task"]["egress"];
  for (const auto& tool : plan["task"]["tools"])
    for (const auto& d : tool["egress"]) egress.push_back(d);
  plan["egress"] = egress;
  plan["tokens"] = tokenScopes(task);
  return plan;
}

std::string renderJson(const nlohmann::ordered_json& json) {
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace sbx::backends
