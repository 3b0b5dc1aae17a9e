// plan.json: the versioned, fully resolved description of one task that sbx-run consumes.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "model/model.h"

namespace sbx::backends {

constexpr const char* kPlanSchema = "sbxc.plan/v1";

nlohmann::ordered_json buildPlan(const model::Task& task, const model::Model& model);
// Serialized deterministically: fixed key order, two-space indentation, trailing newline.
std::string renderJson(const nlohmann::ordered_json& json);

}  // namespace sbx::backends
