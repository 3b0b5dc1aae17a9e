// The sandbox, chained in one place (sandbox.cc): the mount plan checked, cgroups made, the
// sandbox's init started in new user, mount, PID, IPC, UTS, network and cgroup namespaces (init.h),
// its id maps written (user_ns.h), then the wait, with the wall-clock timeout, and the audit.
#pragma once
#include <string>
#include <vector>

#include "runtime/artifacts.h"
#include "runtime/audit.h"

namespace sbx::run {

class PolicyLearner;

struct RunOptions {
  std::string workspace;  // host directory mounted at /workspace
  std::vector<std::string> command;
  std::string runId;     // this run's id: in every audit line, the tokens' jti
  std::string stateDir;  // the broker's keys and revocations (tokens/key_store.h)
  // sbx-run --learn: denials are recorded there and not enforced (policy_learner.h); null: enforced.
  PolicyLearner* learner = nullptr;
  // sbx-run --upstream-ca: a CA file the inspecting proxy trusts for upstreams, beside the system's.
  std::string upstreamCa;
};

// Runs the command; returns sbx-run's exit status (exit_codes.h).
int runSandboxed(const CompiledTask& task, const RunOptions& options, AuditLog& audit);

}  // namespace sbx::run
