#include "backends/plan.h"

#include "backends/mount_plan.h"
#include "backends/token_plan.h"
#include "version.h"

namespace sbx::backends {

plan::Plan buildPlan(const model::ResolvedTask& task, const model::Model& model) {
  plan::Plan plan;
  plan.compilerName = "sbxc";
  plan.compilerVersion = SBXC_VERSION;
  if (!model.stdlibDigest.empty()) plan.compilerStdlib = "sha256:" + model.stdlibDigest;
  // The syscall rules live on compiled, in seccomp.bpf/.pfc/.json (plan.seccomp names them);
  // described here they would be most of the file sbx-run reads on every start.
  plan.task = describeTask(task, model);
  plan.mounts = planMounts(task);
  // The allowlist the launcher's egress proxy enforces (and the exporters translate): the task's
  // destinations, then each tool's, marked with the tool that alone may use them.
  plan.egress = plan.task.egress;
  for (const auto& tool : plan.task.tools)
    plan.egress.insert(plan.egress.end(), tool.egress.begin(), tool.egress.end());
  plan.tokens = tokenScopes(task);
  return plan;
}

std::string renderJson(const nlohmann::ordered_json& json) {
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace sbx::backends
