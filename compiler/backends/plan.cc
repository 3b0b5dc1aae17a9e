#include "backends/plan.h"

#include "backends/mount_plan.h"
#include "model/model_json.h"
#include "version.h"

namespace sbx::backends {

nlohmann::ordered_json buildPlan(const model::Task& task, const model::Model& model) {
  nlohmann::ordered_json plan;
  plan["schema"] = kPlanSchema;
  plan["compiler"] = {{"name", "sbxc"}, {"version", SBXC_VERSION}};
  plan["task"] = model::toJson(task, model, {});
  plan["mounts"] = toJson(planMounts(task));
  return plan;
}

std::string renderJson(const nlohmann::ordered_json& json) {
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace sbx::backends
