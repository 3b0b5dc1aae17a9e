// plan.json <-> plan::Plan: the one writer (sbxc compile) and the one reader (sbx-run, tests).
// The writer's key order and formatting are the file format: two-space indentation, a trailing
// newline, keys in the order of plan.h. The reader checks the schema first, then every field,
// and names the JSON path of the first one missing or of the wrong type.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "plan/plan.h"

namespace sbx::plan {

nlohmann::ordered_json toJson(const Plan& plan);
nlohmann::ordered_json toJson(const Destination& destination);
// plan.json's text: toJson(plan) dumped deterministically.
std::string renderPlan(const Plan& plan);

// Null, with `error` set to one sentence starting "plan.json", when `json` is not a plan of
// kPlanSchema.
std::optional<Plan> fromJson(const nlohmann::json& json, std::string& error);
std::optional<Plan> parsePlan(std::string_view text, std::string& error);

// The JSON names of the enumerations.
std::string_view nameOf(DestinationKind kind);
std::string_view nameOf(NetworkMode mode);
std::string_view nameOf(MountType type);
std::string_view nameOf(ExposureKind kind);

// The limit that plan.json's task.limits holds under `key` ("memoryBytes", "pids", "cpuMs",
// "openFiles", "fileSizeBytes"), for tables keyed by it (util/rlimits.h); nullopt when unset or
// when `key` names no limit.
std::optional<std::uint64_t> limitNamed(const Limits& limits, std::string_view key);

}  // namespace sbx::plan
