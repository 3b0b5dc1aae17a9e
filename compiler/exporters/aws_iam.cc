// AWS IAM: per secret, a session policy (the intersection with the role's own policy is all a
// session gets) and the STS AssumeRole parameters that mint the task's credentials with it.
//
// Scopes written as IAM actions (`s3:GetObject`) become the policy's actions; a source that is a
// role ARN (`arn:aws:iam::123456789012:role/name`, optionally after `aws://`) becomes RoleArn, and
// an ARN-shaped audience the policy's resource.
#include <algorithm>

#include <fmt/format.h>

#include "exporters/request_losses.h"
#include "exporters/targets.h"

namespace sbx::exporters {

namespace {

constexpr std::uint64_t kMinimumSessionSeconds = 900;  // STS refuses shorter sessions

bool isIamAction(const std::string& scope) {
  auto colon = scope.find(':');
  return colon != std::string::npos && colon > 0 && colon + 1 < scope.size() &&
         scope.find_first_of(" /") == std::string::npos;
}

}  // namespace

ExportResult AwsIamExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  std::string task = input.plan.task.name;
  std::uint64_t timeoutSeconds = input.plan.task.timeoutMs.value_or(0) / 1000;
  for (const auto& token : input.plan.tokens) {
    if (token.hostFile) {  // a static file of the host: no role mints it
      out.losses.push_back(lost(Control::HostFileSecret,
                                fmt::format("`{}` from the host file {}", token.secret, token.source),
                                "not an IAM credential: the runner copies the file (sbx-run does, 0400)"));
      continue;
    }
    std::string secret = token.secret;
    std::uint64_t ttlSeconds = (token.ttlMs + 999) / 1000;
    nlohmann::ordered_json actions = nlohmann::ordered_json::array();
    for (const auto& scope : token.scopes) {
      if (isIamAction(scope))
        actions.push_back(scope);
      else
        out.losses.push_back(lost(Control::TokenScopes, fmt::format("scope `{}` of `{}`", scope, secret),
                                  "not an IAM action (`service:Action`): left out of the session policy"));
    }
    std::string audience = token.audience;
    bool arnAudience = audience.starts_with("arn:");
    nlohmann::ordered_json statement{
        {"Sid", "SbxTask"}, {"Effect", "Allow"}, {"Action", actions}, {"Resource", arnAudience ? audience : "*"}};
    if (!arnAudience)
      out.losses.push_back(lost(Control::TokenAudience, fmt::format("audience of `{}`", secret),
                                audience.empty()
                                    ? "none declared: the policy's resource is *"
                                    : fmt::format("`{}` is not an ARN: the policy's resource is *", audience)));
    if (actions.empty())
      out.losses.push_back(lost(Control::TokenScopes, fmt::format("every scope of `{}`", secret),
                                "no scope is an IAM action: the session policy allows nothing"));
    nlohmann::ordered_json policy{{"Version", "2012-10-17"}, {"Statement", {statement}}};
    out.files.emplace_back(fmt::format("aws-iam/{}.session-policy.json", secret), policy.dump(2) + "\n");

    std::uint64_t duration = std::max(ttlSeconds, kMinimumSessionSeconds);
    nlohmann::ordered_json assume{{"RoleSessionName", fmt::format("sbx-{}-{}", task, secret).substr(0, 64)},
                                  {"DurationSeconds", duration},
                                  {"Policy", policy.dump()}};
    std::string source = token.source;
    if (source.starts_with("aws://")) source = source.substr(6);
    if (source.starts_with("arn:aws:iam::"))
      assume["RoleArn"] = source;
    else
      out.losses.push_back(lost(Control::TokenRole, fmt::format("role of `{}`", secret),
                                "the source is not a role ARN: add RoleArn before calling sts:AssumeRole"));
    out.files.emplace_back(fmt::format("aws-iam/{}.assume-role.json", secret), assume.dump(2) + "\n");
    if (duration > ttlSeconds) {
      bool outlivesTask = timeoutSeconds && duration > timeoutSeconds;
      out.losses.push_back(lost(
          outlivesTask ? Control::TokenTtlWithinTimeout : Control::TokenTtlRounded,
          fmt::format("TTL of `{}` ({} s)", secret, ttlSeconds),
          fmt::format("STS sessions last at least {} s{}", kMinimumSessionSeconds,
                      outlivesTask ? fmt::format(", longer than the task's timeout of {} s", timeoutSeconds) : "")));
    }
    out.losses.push_back(
        lost(Control::TokenRevocation, fmt::format("revocation of `{}` when the task ends", secret),
             "STS credentials cannot be revoked one by one: they expire at DurationSeconds, or every "
             "session of the role issued before a time is denied (IAM's revoke-older-sessions policy)"));
  }
  addInjectionLosses(input, "AWS IAM", out.losses);
  bool injected = std::any_of(input.plan.task.secrets.begin(), input.plan.task.secrets.end(),
                              [](const plan::Secret& x) { return x.injection.has_value(); });
  if (input.plan.tokens.empty() && !injected)
    out.losses.push_back(
        lost(Control::NothingToExport, "secrets", "the task declares none: there is nothing to export to AWS IAM"));
  return out;
}

}  // namespace sbx::exporters
