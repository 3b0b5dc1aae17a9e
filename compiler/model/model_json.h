// The model as JSON: `sbxc parse --format json` prints it with source locations, and the plan
// backend embeds it without them. Key order is fixed, so output is byte-for-byte deterministic.
#pragma once
#include <nlohmann/json.hpp>

#include "diag/source.h"
#include "model/model.h"

namespace sbx::model {

struct JsonOptions {
  const SourceManager* sources = nullptr;  // non-null: include "origin" for every element
};

nlohmann::ordered_json toJson(const Model& model, const JsonOptions& options);
nlohmann::ordered_json toJson(const ResolvedTask& task, const Model& model, const JsonOptions& options);
std::string destinationKindName(Destination::Kind kind);
std::string describeAction(const SyscallAction& action);  // "allow", "errno 1", ...

}  // namespace sbx::model
