// Lint of secrets: long-lived-credential (SBX1204), credential-outlives-task (SBX1212),
// secret-path-overlap (SBX1218), secret-in-environment (SBX1224), unscoped-token (SBX1225),
// interpreter-holds-token (SBX1227).
#include <fmt/format.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

namespace {

constexpr std::uint64_t kMinute = 60'000;

std::string duration(std::uint64_t ms) {
  if (ms % (60 * kMinute) == 0) return fmt::format("{}h", ms / (60 * kMinute));
  if (ms % kMinute == 0) return fmt::format("{}m", ms / kMinute);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

}  // namespace

void lintSecrets(const LintContext& c, FindingSink& sink) {
  const auto& t = c.task;
  int tier = c.report.tier;
  for (const auto& p : t.paths)
    if (auto location = credentialLocationCovered(p.path))
      sink.add(RuleId::LongLivedCredential, p.origin.span,
               fmt::format("{} {} reaches host credentials ({}): a static secret with no ttl, never revoked",
                           model::nameOf(p.access), ticked(p.path), *location));
  for (const auto& s : t.secrets) {
    if (s.hostFile) {
      sink.add(RuleId::LongLivedCredential, s.origin.span,
               fmt::format("secret {} is the host file {}: a static credential with no ttl, never revoked",
                           ticked(s.name), s.source));
    } else if (!s.ttlMs) {
      sink.add(RuleId::LongLivedCredential, s.origin.span, fmt::format("secret {} has no ttl", ticked(s.name)));
    } else {
      std::uint64_t cap = tier >= 4 ? 15 * kMinute : tier >= 3 ? 60 * kMinute : 0;
      if (cap && *s.ttlMs > cap)
        sink.add(RuleId::LongLivedCredential, s.origin.span,
                 fmt::format("secret {} lives {}, above the {} cap for a T{} task", ticked(s.name), duration(*s.ttlMs),
                             duration(cap), tier));
      if (t.timeoutMs && *s.ttlMs > t.timeoutMs->value)
        sink.add(RuleId::CredentialOutlivesTask, s.origin.span,
                 fmt::format("secret {} lives {}, longer than the task's timeout of {}", ticked(s.name),
                             duration(*s.ttlMs), duration(t.timeoutMs->value)))
            .label(t.timeoutMs->origin.span, "timeout declared here");
    }
    if (!s.exposure) continue;
    const auto& e = *s.exposure;
    if (e.kind == model::ExposureKind::Env)
      sink.add(RuleId::SecretInEnvironment, e.origin.span.valid() ? e.origin.span : s.origin.span,
               fmt::format("secret {} is exposed as the environment variable {}", ticked(s.name), e.target));
    if (tier >= rule(RuleId::SecretPathOverlap).tier && e.kind == model::ExposureKind::File)
      for (const auto& p : t.paths)
        if (pathCovers(p.path, e.target)) {
          sink.add(RuleId::SecretPathOverlap, e.origin.span.valid() ? e.origin.span : s.origin.span,
                   fmt::format("secret {} is exposed at {}, inside the {} path {}", ticked(s.name), e.target,
                               model::nameOf(p.access), ticked(p.path)))
              .label(p.origin.span, "path granted here");
          break;
        }
  }
  if (tier >= rule(RuleId::InterpreterHoldsToken).tier)
    for (const auto& s : t.secrets)
      for (const model::Tool* tool : toolsUsing(t, s.name))
        if (auto what = interpreterNamed(tool->exec))
          sink.add(RuleId::InterpreterHoldsToken, tool->execSpan.valid() ? tool->execSpan : tool->origin.span,
                   fmt::format("tool {} is given secret {} and runs {}, {}: whatever that runs in the task gets "
                               "the token",
                               ticked(tool->name), ticked(s.name), tool->exec, *what));
  if (tier < rule(RuleId::UnscopedToken).tier) return;
  for (const auto& s : t.secrets) {
    std::vector<std::string> missing;
    // A host file has neither (long-lived-credential says so): only its tool is asked for.
    if (s.scopes.empty() && !s.hostFile) missing.push_back("a scope");
    if (s.audience.empty() && !s.hostFile) missing.push_back("an audience");
    if (toolsUsing(t, s.name).empty()) missing.push_back("a tool that alone uses it");
    if (missing.empty()) continue;
    sink.add(RuleId::UnscopedToken, s.origin.span, fmt::format("secret {} lacks {}", ticked(s.name), listOf(missing)));
  }
}

}  // namespace sbx::classifier
