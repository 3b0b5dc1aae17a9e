// What every rule evaluation sees: the task, its model, the authority graph and its flows; and,
// for lint passes, the tier the task was given. Each rule file in this directory evaluates the
// rules of one concern from rules.def; classify.cc chains them.
#pragma once
#include <string>
#include <vector>

#include "classifier/authority_graph.h"
#include "classifier/classify.h"
#include "classifier/graph_analysis.h"

namespace sbx::classifier {

struct TaskContext {
  const model::Model& model;
  std::size_t index;
  const model::ResolvedTask& task;
  const AuthorityGraph& graph;
  const FlowAnalysis& flow;
};

struct LintContext : TaskContext {
  const TaskReport& report;  // tier and decisions already made
  const DelegationChains& chains;
  const std::vector<TaskReport>& all;  // every task's report (shared-identity compares tasks)
};

// Collects the findings of one task.
class FindingSink {
 public:
  Diagnostic& add(RuleId id, Span span, std::string message);
  std::vector<Diagnostic> take() { return std::move(findings_); }

 private:
  std::vector<Diagnostic> findings_;
};

// Tier rules (tier_rules.cc) and escalators (escalators.cc): the decisions that set ownTier.
std::vector<Decision> tierDecisions(const TaskContext& context);
void applyEscalators(const TaskContext& context, TaskReport& report);

// Lint passes, one concern each.
void lintPaths(const LintContext& context, FindingSink& sink);        // secret paths, host privilege, writable exec
void lintEgress(const LintContext& context, FindingSink& sink);       // wildcard egress, metadata endpoints
void lintSecrets(const LintContext& context, FindingSink& sink);      // TTLs, scoping, exposure
void lintAuthority(const LintContext& context, FindingSink& sink);    // bundled authority, approvals, unused grants
void lintIdentity(const LintContext& context, FindingSink& sink);     // person identities, shared and missing ones
void lintControls(const LintContext& context, FindingSink& sink);     // limits, tier drift
void lintSyscalls(const LintContext& context, FindingSink& sink);     // dangerous syscalls, baseline, kill
void lintEscalations(const LintContext& context, FindingSink& sink);  // E2, E4 and delegation cycles as findings
void lintRequests(const LintContext& context, FindingSink& sink);     // request rules and injected secrets

std::string ticked(std::string_view name);                  // `name`
std::string listOf(const std::vector<std::string>& items);  // "a", "a and b", "a, b and c"

}  // namespace sbx::classifier
