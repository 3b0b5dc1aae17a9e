#include "tokens/token.h"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <fmt/format.h>

#include "tokens/key_store.h"

namespace sbx::tokens {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::int64_t secondsNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

bool isInt64(const nlohmann::json& value) {
  return value.is_number_integer() &&
         (value.is_number_unsigned() ? value.get<std::uint64_t>() <= std::uint64_t(INT64_MAX) : true);
}

// Why the decoded header or claims do not have the shape mint() writes; empty when they do. Checked
// before any field is read, so that no later step meets a value of the wrong type.
std::string shapeProblem(const nlohmann::json& header, const nlohmann::json& claims) {
  for (const char* name : {"alg", "kid"})
    if (!header.contains(name) || !header[name].is_string())
      return fmt::format("not a token: the header's `{}` is missing or not a string", name);
  if (header.contains("typ") && !header["typ"].is_string()) return "not a token: the header's `typ` is not a string";
  for (const char* name : {"iss", "sub", "aud", "scope", "jti"})
    if (!claims.contains(name) || !claims[name].is_string())
      return fmt::format("not a token: the claim `{}` is missing or not a string", name);
  for (const char* name : {"iat", "exp"})
    if (!claims.contains(name) || !isInt64(claims[name]))
      return fmt::format("not a token: the claim `{}` is missing or not an integer number of seconds", name);
  if (claims.contains("sbx")) {
    const auto& sbx = claims["sbx"];
    if (!sbx.is_object()) return "not a token: the claim `sbx` is not an object";
    for (auto field = sbx.begin(); field != sbx.end(); ++field)
      if (!field.value().is_string())
        return fmt::format("not a token: the claim `sbx` has a field that is not a string: {}",
                           nlohmann::json(field.key()).dump());
  }
  return "";
}

}  // namespace

std::string base64url(std::string_view bytes) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = bits << 8 | c;
    count += 8;
    while (count >= 6) out += kAlphabet[(bits >> (count -= 6)) & 63];
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
  return out;
}

std::optional<std::string> unbase64url(std::string_view text) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const char* at = std::find(kAlphabet, kAlphabet + 64, c);
    if (at == kAlphabet + 64) return std::nullopt;
    bits = bits << 6 | static_cast<std::uint32_t>(at - kAlphabet);
    count += 6;
    if (count >= 8) out += static_cast<char>((bits >> (count -= 8)) & 0xff);
  }
  if (count >= 6 || (bits & ((1u << count) - 1)) != 0) return std::nullopt;  // not canonical
  return out;
}

std::string mint(const KeyStore& keys, const Claims& claims, std::string& error) {
  nlohmann::ordered_json header{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", keys.keyId()}};
  nlohmann::ordered_json body{{"iss", kIssuer},
                              {"sub", claims.subject},
                              {"aud", claims.audience},
                              {"scope", joined(claims.scopes)},
                              {"jti", claims.runId},
                              {"iat", claims.issuedAt},
                              {"exp", claims.expiresAt},
                              {"sbx", {{"task", claims.task}, {"secret", claims.secret}, {"source", claims.source}}}};
  std::string input = base64url(header.dump()) + "." + base64url(body.dump());
  unsigned char signature[64];
  std::size_t size = sizeof signature;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, keys.signingKey()) == 1 &&
      EVP_DigestSign(ctx, signature, &size, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    error = "cannot sign the token (Ed25519)";
    return "";
  }
  return input + "." + base64url({reinterpret_cast<const char*>(signature), size});
}

Verdict verify(const KeyStore& keys, const std::string& token, const VerifyOptions& options) {
  Verdict v;
  if (token.size() > kMaxTokenBytes) {
    v.reason = fmt::format("not a token: longer than {} bytes", kMaxTokenBytes);
    return v;
  }
  auto firstDot = token.find('.'), secondDot = token.find('.', firstDot + 1);
  if (firstDot == std::string::npos || secondDot == std::string::npos ||
      token.find('.', secondDot + 1) != std::string::npos) {
    v.reason = "not a token: expected three base64url parts separated by dots";
    return v;
  }
  auto headerText = unbase64url(std::string_view(token).substr(0, firstDot));
  auto claimsText = unbase64url(std::string_view(token).substr(firstDot + 1, secondDot - firstDot - 1));
  auto signature = unbase64url(std::string_view(token).substr(secondDot + 1));
  if (!headerText || !claimsText || !signature) {
    v.reason = "not a token: a part is not base64url";
    return v;
  }
  auto header = nlohmann::json::parse(*headerText, nullptr, false);
  v.claims = nlohmann::json::parse(*claimsText, nullptr, false);
  if (!header.is_object() || !v.claims.is_object()) {
    v.reason = "not a token: the header or the claims are not JSON objects";
    v.claims = nullptr;
    return v;
  }
  if (std::string problem = shapeProblem(header, v.claims); !problem.empty()) {
    v.reason = problem;
    v.claims = nullptr;
    return v;
  }
  if (header.value("alg", "") != "EdDSA") {
    // Unsigned text: quoted as JSON, so that no control byte reaches the reader's terminal.
    v.reason = fmt::format("signed with {}; sbx tokens are signed with EdDSA (Ed25519)", header["alg"].dump());
    return v;
  }
  if (header.value("kid", "") != keys.keyId()) {
    v.reason = fmt::format("signed by key {}, not by this broker's key {}", header["kid"].dump(), keys.keyId());
    return v;
  }
  std::string input = token.substr(0, secondDot);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool signed_ = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, keys.verifyingKey()) == 1 &&
                 EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                                  reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!signed_) {
    v.reason = "the signature does not match: the token was altered or not issued by this broker";
    return v;
  }
  if (v.claims.value("iss", "") != kIssuer) {
    v.reason = fmt::format("issued by `{}`, not by {}", v.claims.value("iss", ""), kIssuer);
    return v;
  }
  std::int64_t now = options.now.value_or(secondsNow());
  std::int64_t expires = v.claims.value("exp", std::int64_t{0});
  if (now >= expires) {
    v.reason = fmt::format("expired {} s ago", now - expires);
    return v;
  }
  if (v.claims.value("iat", std::int64_t{0}) > now + 60) {
    v.reason = "issued in the future";
    return v;
  }
  if (keys.isRevoked(v.claims.value("jti", ""))) {
    v.reason = fmt::format("revoked: the task run {} has ended", v.claims.value("jti", ""));
    return v;
  }
  if (!options.audience.empty() && v.claims.value("aud", "") != options.audience) {
    v.reason = fmt::format("for audience `{}`, not `{}`", v.claims.value("aud", ""), options.audience);
    return v;
  }
  if (!options.scope.empty()) {
    std::string scopes = " " + v.claims.value("scope", "") + " ";
    if (scopes.find(" " + options.scope + " ") == std::string::npos) {
      v.reason = fmt::format("scope `{}` is not granted (granted: {})", options.scope, v.claims.value("scope", ""));
      return v;
    }
  }
  v.valid = true;
  return v;
}

}  // namespace sbx::tokens
