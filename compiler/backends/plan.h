// The compiler's side of plan.json (plan/plan.h): one task of the model, with its mount plan,
// egress allowlist and token scopes, as a plan::Plan. artifacts.cc adds the tier and the seccomp
// entry and writes it with plan::renderPlan.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "model/model.h"
#include "plan/plan.h"

namespace sbx::backends {

plan::Plan buildPlan(const model::ResolvedTask& task, const model::Model& model);
plan::TaskDescription describeTask(const model::ResolvedTask& task, const model::Model& model);
plan::Destination describeDestination(const model::Destination& destination);
// Serialized deterministically: fixed key order, two-space indentation, trailing newline.
std::string renderJson(const nlohmann::ordered_json& json);

}  // namespace sbx::backends
