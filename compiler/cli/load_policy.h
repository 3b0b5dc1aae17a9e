// Loading the one policy a command works on: prints its diagnostics and gives the model only
// when the policy is valid, else the exit code to return.
#pragma once
#include <optional>
#include <string>

#include "cli/options.h"
#include "frontend/frontend.h"

namespace sbx::cli {

struct LoadedPolicy {
  std::optional<model::Model> model;  // set when the policy is valid
  int exitCode = 0;                   // kInvalidInput or kUsageOrIo when it is not
};

LoadedPolicy loadPolicy(frontend::Session& session, const std::string& path, const ParsedArgs& args);

}  // namespace sbx::cli
