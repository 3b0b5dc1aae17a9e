// What sbx-run runs: a compiled task directory (plan.json, seccomp.bpf), or a .sbx policy that
// it has sbxc compile into a cache keyed by the digest of the policy, its imports and the
// compiler version, so that a second start does no compiling at all.
#pragma once
#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sbx::run {

struct Task {
  std::string dir;         // the compiled task directory
  std::string planText;    // plan.json's bytes
  std::string planDigest;  // SHA-256 of planText, computed only for the audit log
  nlohmann::json plan;     // plan.json
  std::vector<sock_filter> filter;
  int tier = -1;
};

// Loads DIR/plan.json and the filter it names, checking the schema and the filter's digest.
std::optional<Task> loadTaskDir(const std::string& dir, std::string& error);

// Compiles POLICY (unless the cache has it) and loads the task named `task` (empty: the only
// root task). Compiler diagnostics go to stderr.
std::optional<Task> loadPolicy(const std::string& policy, const std::string& task, std::string& error);

}  // namespace sbx::run
