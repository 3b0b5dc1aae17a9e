// Just-in-time tokens: JWT-shaped, signed with Ed25519 (OpenSSL's libcrypto), minted by sbx-run's
// broker for each secret a task declares, revoked when the task ends, and checked by
// `sbxc token verify` (or by a service that links this library).
//
//   header  {"alg":"EdDSA","typ":"JWT","kid":KEY-ID}
//   claims  {"iss":"sbx-run","sub":WORKLOAD,"aud":AUDIENCE,"scope":"S1 S2","jti":RUN-ID,
//            "iat":SECONDS,"exp":SECONDS,"sbx":{"task":TASK,"secret":NAME,"source":BROKER-PATH}}
//
// The signing key lives in the state directory (key_store.h) and never enters a sandbox.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sbx::tokens {

constexpr const char* kIssuer = "sbx-run";

struct Claims {
  std::string subject, audience, runId, task, secret, source;
  std::vector<std::string> scopes;
  std::int64_t issuedAt = 0, expiresAt = 0;  // seconds since the epoch
};

class KeyStore;

// A signed token for `claims`. Empty, with `error`, when signing fails.
std::string mint(const KeyStore& keys, const Claims& claims, std::string& error);

struct Verdict {
  bool valid = false;
  std::string reason;     // why not, when not valid
  nlohmann::json claims;  // the token's claims, when it could be decoded
};

struct VerifyOptions {
  std::string audience;             // required audience; empty: any
  std::string scope;                // required scope; empty: any
  std::optional<std::int64_t> now;  // the time to judge expiry at; default: now
};

// Longer than any token mint() writes (a few hundred bytes), short enough to refuse floods.
constexpr std::size_t kMaxTokenBytes = 16384;

// The token's shape first: three base64url parts, a JSON object header with string `alg` and
// `kid`, claims of the types mint() writes (a malformed token is refused with the reason, never
// an exception); then signature, issuer, expiry, revocation, audience and scope, in that order.
Verdict verify(const KeyStore& keys, const std::string& token, const VerifyOptions& options);

std::string base64url(std::string_view bytes);
std::optional<std::string> unbase64url(std::string_view text);

}  // namespace sbx::tokens
