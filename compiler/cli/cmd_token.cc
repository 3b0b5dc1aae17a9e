// sbxc token verify: what a downstream service runs (or embeds, linking runtime/tokens/) to
// check a token from sbx-run's broker: signature, issuer, expiry, revocation, audience, scope.
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/io.h"
#include "cli/options.h"
#include "runtime/tokens/key_store.h"
#include "runtime/tokens/token.h"

namespace sbx::cli {

int runToken(const std::vector<std::string>& argv) {
  auto args = parseArgs("token", argv,
                        {{"--audience", true, {}},
                         {"--scope", true, {}},
                         {"--state-dir", true, {}},
                         {"--key", true, {}},
                         {"--at", true, {}},
                         {"--format", true, {"text", "json"}}});
  if (!args) return kUsageOrIo;
  if (args->positionals.size() != 2 || args->positionals[0] != "verify")
    return usageError("token", "expected `sbxc token verify TOKEN`");
  std::string token = args->positionals[1] == "-" ? readStdin() : args->positionals[1];
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
  std::string stateDir = args->get("--state-dir", tokens::defaultStateDir()), error;
  tokens::KeyStore keys;
  bool opened = args->has("--key") ? keys.openPublicKey(args->get("--key", ""), stateDir, error)
                                   : keys.openPublicKey(stateDir + "/signing-key.pub.pem", stateDir, error);
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
