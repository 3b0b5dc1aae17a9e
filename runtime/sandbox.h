// The sandbox, chained in one place (sandbox.cc): new user, mount, PID, IPC, UTS, network and
// cgroup namespaces; id maps; the fresh root (mounts.h); a small init (PID 1) that reaps,
// forwards signals and reports the payload's status; in the payload: a new session, limits,
// capabilities dropped, no_new_privs, Landlock, the environment cleared to the declared variables,
// descriptors beyond 0-2 closed, the seccomp filter last, exec. The launcher enforces the
// wall-clock timeout and dies-with-parent holds for the whole sandbox.
#pragma once
#include <string>
#include <vector>

#include "runtime/artifacts.h"
#include "runtime/audit.h"

namespace sbx::run {

struct RunOptions {
  std::string workspace;  // host directory mounted at /workspace
  std::vector<std::string> command;
};

// Runs the command; returns sbx-run's exit status (exit_codes.h).
int runSandboxed(const Task& task, const RunOptions& options, AuditLog& audit);

}  // namespace sbx::run
