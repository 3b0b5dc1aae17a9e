// Vault: per secret, a policy that lets a token read the secret's path, and the parameters of a
// token role that mints short-lived, non-renewable, orphan tokens with that policy alone.
//
// The Vault path is the path part of the secret's source (`vault://kv/data/ci/cache` ->
// `kv/data/ci/cache`; `broker://github/apps/x` -> `github/apps/x`).
#include <algorithm>

#include <fmt/format.h>

#include "exporters/request_losses.h"
#include "exporters/targets.h"

namespace sbx::exporters {

namespace {

std::string pathOf(const std::string& source) {
  auto scheme = source.find("://");
  return scheme == std::string::npos ? source : source.substr(scheme + 3);
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

ExportResult VaultExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  std::string task = input.plan.task.name;
  std::string guide =
      fmt::format("Vault policies and token roles for task `{}` (T{}), one per secret. To install and use them:\n\n",
                  task, input.plan.tier);
  for (const auto& token : input.plan.tokens) {
    if (token.hostFile) {  // a static file of the host: Vault holds nothing of it
      out.losses.push_back(lost(Control::HostFileSecret,
                                fmt::format("`{}` from the host file {}", token.secret, token.source),
                                "not a Vault secret: the runner copies the file (sbx-run does, 0400)"));
      continue;
    }
    std::string secret = token.secret, role = fmt::format("sbx-{}-{}", task, secret);
    std::uint64_t ttlSeconds = (token.ttlMs + 999) / 1000;
    std::string path = pathOf(token.source);
    std::string audience = token.audience;
    out.files.emplace_back(
        fmt::format("vault/{}.hcl", secret),
        fmt::format("# sbxc: task `{}`, secret `{}`: read access to the secret's path, nothing else.\n"
                    "# Audience {}; scopes {} (enforced by that service, not by Vault).\n"
                    "path \"{}\" {{\n  capabilities = [\"read\"]\n}}\n",
                    task, secret, audience.empty() ? "(none)" : audience, joined(token.scopes), path));
    nlohmann::ordered_json roleBody{{"allowed_policies", {role}},
                                    {"orphan", true},
                                    {"renewable", false},
                                    {"token_type", "service"},
                                    {"token_ttl", fmt::format("{}s", ttlSeconds)},
                                    {"token_explicit_max_ttl", fmt::format("{}s", ttlSeconds)},
                                    {"token_num_uses", 0}};
    out.files.emplace_back(fmt::format("vault/{}.token-role.json", secret), roleBody.dump(2) + "\n");
    guide += fmt::format(
        "  vault policy write {0} vault/{1}.hcl\n"
        "  vault write auth/token/roles/{0} @vault/{1}.token-role.json\n"
        "  # when the task starts:  vault token create -role={0} -format=json\n"
        "  # when the task ends:    vault token revoke <token>\n\n",
        role, secret);
    out.losses.push_back(
        lost(Control::TokenScopes, fmt::format("scopes of `{}` ({})", secret, joined(token.scopes)),
             "Vault grants read on the secret's path; the scopes are for the audience service to enforce"));
    if (!token.tool.empty())
      out.losses.push_back(lost(Control::ToolScopedToken, fmt::format("`{}` for tool `{}` alone", secret, token.tool),
                                "a Vault token is whoever's holds it: hand it to that tool's process only"));
    out.losses.push_back(
        lost(Control::TokenRevocation, fmt::format("revocation of `{}` when the task ends", secret),
             "Vault expires the token at its TTL; the runner revokes it early (`vault token revoke`)"));
    out.losses.push_back(lost(Control::TokenUseCount, fmt::format("number of uses of `{}`", secret),
                              "unlimited within the TTL (token_num_uses 0): a task's use count is not declared"));
  }
  addInjectionLosses(input, "Vault", out.losses);
  bool injected = std::any_of(input.plan.task.secrets.begin(), input.plan.task.secrets.end(),
                              [](const plan::Secret& x) { return x.injection.has_value(); });
  if (input.plan.tokens.empty() && !injected)
    out.losses.push_back(
        lost(Control::NothingToExport, "secrets", "the task declares none: there is nothing to export to Vault"));
  else
    out.files.emplace_back("vault/README.txt", guide);
  return out;
}

}  // namespace sbx::exporters
