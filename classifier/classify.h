// The classifier's entry point: every task of a resolved model gets a tier (TIERS.md), the rules
// that decided it with the declarations that triggered them, and its lint findings.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "classifier/rule_table.h"
#include "diag/diagnostic.h"
#include "model/model.h"

namespace sbx::classifier {

// A declaration that made a rule fire, with what it contributed ("input `inbox` is untrusted").
struct Evidence {
  Span span;
  std::string text;
};

// One tier rule or escalator that fired for a task.
struct Decision {
  const Rule* rule = nullptr;
  std::string message;
  std::vector<Evidence> evidence;
  int tierBefore = 0, tierAfter = 0;
};

// A lint finding and, when an in-source suppression silenced it, that suppression.
struct Finding {
  Diagnostic diagnostic;
  std::optional<model::Suppression> suppressedBy;
};

struct TaskReport {
  std::size_t task = 0;  // index into Model::tasks
  int ownTier = 0;       // from the task's own declarations and escalators E1, E2, E4-E6
  int tier = 0;          // after E3: the highest tier along its delegation chain
  std::vector<Decision> decisions;
  std::vector<Finding> findings;  // sorted; suppressed ones included, marked
};

struct Report {
  std::vector<TaskReport> tasks;  // one per Model::tasks entry, same order

  const TaskReport& of(std::size_t task) const { return tasks.at(task); }
  // Unsuppressed findings of the root tasks, sorted: what `sbxc check` prints.
  std::vector<Diagnostic> activeFindings(const model::Model& model) const;
};

struct Options {
  model::Date today;  // for suppression expiry; see todayUtc()
};

// Today's date in UTC, or the date of SOURCE_DATE_EPOCH when set (reproducible runs and tests).
model::Date todayUtc();

Report classify(const model::Model& model, const Options& options);

// The controls a tier makes mandatory: its own and every lower tier's, lowest first.
std::vector<std::string> mandatoryControls(int tier);

}  // namespace sbx::classifier
