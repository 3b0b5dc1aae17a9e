#include "backends/token_plan.h"

#include <algorithm>

namespace sbx::backends {

namespace {

// The task's workload identity as a token subject: its SPIFFE ID or OIDC subject, else
// "sbx:task/<qualified name>".
std::string workloadSubject(const model::ResolvedTask& task) {
  if (!task.identity) return plan::workloadSubject("", "", "", task.qualifiedName);
  return plan::workloadSubject(task.identity->kind == model::IdentityKind::Oidc ? "oidc" : "", task.identity->value,
                               task.identity->subject, task.qualifiedName);
}

}  // namespace

std::vector<plan::TokenScope> tokenScopes(const model::ResolvedTask& task) {
  std::vector<plan::TokenScope> list;
  for (const auto& s : task.secrets) {
    std::uint64_t ttl = s.ttlMs.value_or(kDefaultTokenTtlMs);
    if (task.timeoutMs) ttl = std::min(ttl, task.timeoutMs->value);
    std::string tool = s.exposure ? s.exposure->tool : "";
    for (const auto& t : task.tools)
      if (tool.empty() && std::find(t.secrets.begin(), t.secrets.end(), s.name) != t.secrets.end()) tool = t.name;
    // Given to nobody (no `expose`, no tool uses it, no delegation passes it): an unused grant,
    // never minted.
    if (!model::secretGiven(task, s)) continue;
    // Injected by the proxy into the tool's requests (plan: task.secrets[].injection): nothing is
    // minted into the sandbox, neither a file nor a variable.
    if (s.injection) continue;
    plan::TokenScope entry;
    entry.secret = s.name;
    entry.source = s.source;
    entry.subject = workloadSubject(task);
    entry.audience = s.audience;
    entry.scopes = s.scopes;
    entry.ttlMs = s.hostFile ? 0 : ttl;  // a host file is copied as it is: it has no expiry
    entry.hostFile = s.hostFile;
    entry.tool = tool;
    // The launcher gives a tool its token through the tool's executable (sbx-run: a gate over it).
    for (const auto& t : task.tools)
      if (t.name == tool && !t.exec.empty()) entry.toolExec = t.exec;
    bool env = s.exposure && s.exposure->kind == model::ExposureKind::Env;
    std::string target = s.exposure && !s.exposure->target.empty() ? s.exposure->target : "/run/secrets/" + s.name;
    entry.exposure = env ? plan::ExposureKind::Env : plan::ExposureKind::File;
    entry.exposureTarget = target;
    list.push_back(entry);
  }
  return list;
}

}  // namespace sbx::backends
