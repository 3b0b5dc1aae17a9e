// The task a `sbxc prove` argument names ("FILE" with one root task, or "FILE:TASK"), loaded,
// classified and compiled as `sbxc compile` compiles it.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "cli/options.h"
#include "driver/compiled_task.h"
#include "frontend/frontend.h"

namespace sbx::cli {

struct ProveTarget {
  std::string name;  // as given on the command line
  std::unique_ptr<frontend::Session> session;
  std::optional<model::Model> model;
  std::optional<classifier::Report> report;
  std::size_t index = 0;
  std::optional<backends::CompiledTask> compiled;
};

// nullopt after a message (diagnostics, or what the file lacks), with the exit code in `exitCode`.
std::optional<ProveTarget> loadProveTarget(const std::string& spec, const ParsedArgs& args, int& exitCode);

}  // namespace sbx::cli
