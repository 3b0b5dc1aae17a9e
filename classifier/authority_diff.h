// `sbxc diff OLD NEW`: the authority a policy change adds or removes, task by task, the lint
// findings it adds or removes (a new error first: it stops the compile) and the tier, moved or
// not. What a reviewer reads on a policy pull request. Syscalls that make up a whole group of
// std.syscalls are shown as that group, so a change of hundreds reads as the few groups it is.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "classifier/classify.h"
#include "frontend/syscall_groups.h"

namespace sbx::classifier {

// Authority of one task, by category ("paths", "destinations", ...), as canonical text items.
using AuthoritySet = std::map<std::string, std::set<std::string>>;
AuthoritySet authorityOf(const model::ResolvedTask& task);

// An unsuppressed lint finding, as a diff compares it: by rule and message, not by where it is
// (an edit above it moves it, and it is still the same finding).
struct FindingItem {
  Severity severity = Severity::Note;
  std::string id, name, message;
  auto key() const { return std::tie(id, message); }
};

struct TaskDiff {
  std::string task;
  std::optional<int> oldTier, newTier;  // nullopt: the task does not exist on that side
  AuthoritySet added, removed;
  std::vector<FindingItem> newFindings, goneFindings;  // errors first
  bool changed() const {
    return oldTier != newTier || !added.empty() || !removed.empty() || !newFindings.empty() || !goneFindings.empty();
  }
};

// `groups`: std.syscalls' groups (frontend/syscall_groups.h), for the syscalls category.
std::vector<TaskDiff> diffAuthority(const model::Model& oldModel, const Report& oldReport, const model::Model& newModel,
                                    const Report& newReport, const std::vector<frontend::SyscallGroup>& groups);

// The lint errors the change adds, over every task: each stops `sbxc compile` of the new policy.
std::size_t newErrors(const std::vector<TaskDiff>& diffs);

std::string diffText(const std::vector<TaskDiff>& diffs);
nlohmann::ordered_json diffJson(const std::vector<TaskDiff>& diffs);

}  // namespace sbx::classifier
