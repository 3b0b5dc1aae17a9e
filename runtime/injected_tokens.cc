#include "runtime/injected_tokens.h"

#include <algorithm>

#include "plan/token_rules.h"

namespace sbx::run {

namespace {

bool mintedInjection(const plan::Secret& s) {
  return s.injection && !s.source.starts_with("/");
}

std::string workloadSubject(const plan::TaskDescription& task) {
  if (!task.identity) return plan::workloadSubject("", "", "", task.qualifiedName);
  return plan::workloadSubject(task.identity->kind, task.identity->value, task.identity->subject, task.qualifiedName);
}

}  // namespace

bool plansMintedInjection(const plan::Plan& plan) {
  return std::any_of(plan.task.secrets.begin(), plan.task.secrets.end(), mintedInjection);
}

plan::Plan withInjectedTokens(const plan::Plan& plan) {
  plan::Plan out = plan;
  for (const auto& s : plan.task.secrets) {
    if (!mintedInjection(s)) continue;
    plan::TokenScope token;
    token.secret = s.name;
    token.source = s.source;
    token.subject = workloadSubject(plan.task);
    token.audience = s.audience;
    token.scopes = s.scopes;
    token.ttlMs = s.ttlMs.value_or(plan::kDefaultTokenTtlMs);
    if (plan.task.timeoutMs) token.ttlMs = std::min(token.ttlMs, *plan.task.timeoutMs);
    token.exposure = plan::ExposureKind::Inject;
    token.exposureTarget = s.injection->header;
    out.tokens.push_back(std::move(token));
  }
  return out;
}

}  // namespace sbx::run
