// `sbxc diff OLD NEW`: the authority a policy change adds or removes, task by task, and the tier
// change. What a reviewer reads on a policy pull request.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "classifier/classify.h"

namespace sbx::classifier {

// Authority of one task, by category ("paths", "destinations", ...), as canonical text items.
using AuthoritySet = std::map<std::string, std::set<std::string>>;
AuthoritySet authorityOf(const model::ResolvedTask& task);

struct TaskDiff {
  std::string task;
  std::optional<int> oldTier, newTier;  // nullopt: the task does not exist on that side
  AuthoritySet added, removed;
  bool changed() const { return oldTier != newTier || !added.empty() || !removed.empty(); }
};

std::vector<TaskDiff> diffAuthority(const model::Model& oldModel, const Report& oldReport, const model::Model& newModel,
                                    const Report& newReport);

std::string diffText(const std::vector<TaskDiff>& diffs);
nlohmann::ordered_json diffJson(const std::vector<TaskDiff>& diffs);

}  // namespace sbx::classifier
