// The token scopes of plan.json: for each secret of the task, what the launcher's broker mints
// and how it exposes it. Read by sbx-run and by the secret-manager exporters.
#pragma once
#include <vector>

#include "model/model.h"
#include "plan/plan.h"
#include "plan/token_rules.h"

namespace sbx::backends {

using plan::kDefaultTokenTtlMs;

// One scope per secret: the TTL is never longer than the task's timeout; the
// tool is the one that alone may see the token (the exposure's, else the tool that uses the
// secret), toolExec its executable; without an explicit exposure, a file at /run/secrets/NAME
// (for the tool alone when there is one). A secret given to nobody (no `expose`, no tool uses it)
// gets no scope: it is not minted. A `source file` secret is copied from the host, TTL 0.
std::vector<plan::TokenScope> tokenScopes(const model::ResolvedTask& task);

}  // namespace sbx::backends
