// Judging one assertion of a policy test (policy_test_file.h) on a compiled task: the classifier's
// report for tiers and findings, the plan's mounts for paths, the plan's allowlist and request
// rules as the proxy judges them (plan/egress_rules.h, plan/request_match.h), the compiled
// seccomp program run by the BPF interpreter (bpf/bpf_interpreter.h), the model's delegations.
// Nothing is re-derived from the policy text.
#pragma once
#include <optional>
#include <string>

#include "classifier/classify.h"
#include "cli/policy_test_file.h"
#include "driver/compiled_task.h"

namespace sbx::cli {

struct TaskUnderTest {
  const model::Model& model;
  const classifier::Report& report;
  std::size_t index;  // into model.tasks
  const backends::CompiledTask& compiled;
};

struct Outcome {
  bool passed = false;
  std::string expected, got;  // as the report prints them: "tier T2", "refused (no mount covers it)"
};

// nullopt, after a diagnostic in `diags`, when the assertion names what the task lacks (a tool,
// a delegation) or what cannot be judged here (a syscall this architecture does not have).
// `sources` are the policy's (findings point into them).
std::optional<Outcome> judge(const Assertion& assertion, const TaskUnderTest& task, const SourceManager& sources,
                             DiagnosticSink& diags);

// The parts of judge(), one file each.
std::optional<Outcome> judgeConnect(const Assertion& assertion, const TaskUnderTest& task, DiagnosticSink& diags);
std::optional<Outcome> judgeRequest(const Assertion& assertion, const TaskUnderTest& task, DiagnosticSink& diags);
std::optional<Outcome> judgeSyscall(const Assertion& assertion, const TaskUnderTest& task, DiagnosticSink& diags);

}  // namespace sbx::cli
