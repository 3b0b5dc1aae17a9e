// sbxc token verify: what a downstream service runs (or embeds, linking tokens/) to
// check a token from sbx-run's broker: signature, issuer, expiry, revocation, audience, scope.
// sbxc token mint: what sbx-run's broker runs to sign the tokens of a task that starts (sbx-run
// links no cryptography; the signing key never leaves the state directory).
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/io.h"
#include "cli/options.h"
#include "tokens/key_store.h"
#include "tokens/revocations.h"
#include "tokens/token.h"

namespace sbx::cli {

namespace {

// Request on stdin: {"stateDir": DIR, "tokens": [{"subject", "audience", "scopes", "runId", "task",
// "secret", "source", "issuedAt", "expiresAt"}, ...]}; answer on stdout: {"keyId", "tokens": [...]}.
int mint() {
  auto request = nlohmann::json::parse(readStdin(), nullptr, false);
  if (!request.is_object() || !request["tokens"].is_array()) {
    fmt::print(stderr, "sbxc token mint: expected a JSON request on stdin (see sbx-run's broker)\n");
    return kUsageOrIo;
  }
  std::string error, stateDir = request["stateDir"].is_string() ? request["stateDir"].get<std::string>() : "";
  if (stateDir.empty()) stateDir = tokens::defaultStateDir(error);
  tokens::KeyStore keys;
  if (stateDir.empty() || !keys.open(stateDir, true, error)) {
    fmt::print(stderr, "sbxc token mint: {}\n", error);
    return kUsageOrIo;
  }
  nlohmann::ordered_json answer{{"keyId", keys.keyId()}, {"tokens", nlohmann::ordered_json::array()}};
  for (const auto& c : request["tokens"]) {
    tokens::Claims claims{c.value("subject", ""),
                          c.value("audience", ""),
                          c.value("runId", ""),
                          c.value("task", ""),
                          c.value("secret", ""),
                          c.value("source", ""),
                          c.value("scopes", std::vector<std::string>{}),
                          c.value("issuedAt", std::int64_t{0}),
                          c.value("expiresAt", std::int64_t{0})};
    std::string token = tokens::mint(keys, claims, error);
    if (token.empty()) {
      fmt::print(stderr, "sbxc token mint: {}\n", error);
      return kUsageOrIo;
    }
    answer["tokens"].push_back(token);
  }
  fmt::print("{}\n", answer.dump());
  return kOk;
}

}  // namespace

int runToken(const std::vector<std::string>& argv) {
  auto args = parseArgs("token", argv,
                        {{"--audience", true, {}},
                         {"--scope", true, {}},
                         {"--state-dir", true, {}},
                         {"--key", true, {}},
                         {"--at", true, {}},
                         {"--format", true, {"text", "json"}}});
  if (!args) return kUsageOrIo;
  if (args->positionals.size() == 1 && args->positionals[0] == "mint") return mint();
  if (args->positionals.size() != 2 || args->positionals[0] != "verify")
    return usageError("token", "expected `sbxc token verify TOKEN` (or `sbxc token mint`, which sbx-run runs)");
  std::string token = args->positionals[1] == "-" ? readStdin(tokens::kMaxTokenBytes + 1) : args->positionals[1];
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();

  tokens::VerifyOptions options;
  options.audience = args->get("--audience", "");
  options.scope = args->get("--scope", "");
  if (args->has("--at")) {
    char* end = nullptr;
    std::string at = args->get("--at", "");
    options.now = std::strtoll(at.c_str(), &end, 10);
    if (at.empty() || *end) return usageError("token", "--at takes a Unix time in seconds");
  }
  std::string error, stateDir = args->get("--state-dir", "");
  if (stateDir.empty()) stateDir = tokens::defaultStateDir(error);
  if (!stateDir.empty()) stateDir = std::filesystem::absolute(stateDir).lexically_normal().string();
  tokens::KeyStore keys;
  std::string publicKey = args->has("--key") ? args->get("--key", "") : stateDir + "/signing-key.pub.pem";
  bool opened = !stateDir.empty() && keys.openPublicKey(publicKey, stateDir, error);
  if (!opened) {
    fmt::print(stderr, "sbxc token: {}\n", error);
    return kUsageOrIo;
  }
  tokens::Verdict verdict = tokens::verify(keys, token, options);
  if (args->get("--format", "text") == "json") {
    nlohmann::ordered_json out{{"valid", verdict.valid}};
    if (!verdict.valid) out["reason"] = verdict.reason;
    out["claims"] = verdict.claims;
    fmt::print("{}\n", out.dump(2));
  } else if (verdict.valid) {
    fmt::print("valid: {} for {} (scope: {}), run {}, expires at {}\n", verdict.claims.value("sub", ""),
               verdict.claims.value("aud", ""), verdict.claims.value("scope", ""), verdict.claims.value("jti", ""),
               verdict.claims.value("exp", std::int64_t{0}));
  } else {
    fmt::print("invalid: {}\n", verdict.reason);
  }
  return verdict.valid ? kOk : kFindings;
}

}  // namespace sbx::cli
