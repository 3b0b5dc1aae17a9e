// `sbxc token verify` on malformed tokens: each is refused with its reason and exit 1 (docs/
// tokens.md), never an exception ("internal error", exit 3), whatever the type of a header field
// or claim, before the signature is checked.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

using namespace sbx::test;

namespace {

std::string base64url(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = bits << 8 | c;
    count += 8;
    while (count >= 6) out += alphabet[(bits >> (count -= 6)) & 63];
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 63];
  return out;
}

const std::string kSignature = base64url(std::string(64, 'x'));

std::string token(const std::string& header, const std::string& claims) {
  return base64url(header) + "." + base64url(claims) + "." + kSignature;
}

}  // namespace

TEST_CASE("token verify: every malformed token is refused with its reason") {
  TempDir dir;
  std::string state = (dir.path() / "state").string();
  nlohmann::json request{
      {"stateDir", state},
      {"tokens",
       {{{"subject", "s"}, {"audience", "a"}, {"scopes", {"x"}}, {"runId", "r"}, {"issuedAt", 1}, {"expiresAt", 2}}}}};
  Run minted = sbxc({"token", "mint"}, request.dump());
  REQUIRE(minted.exitCode == 0);
  std::string keyId = nlohmann::json::parse(minted.out)["keyId"];
  std::string goodHeader = nlohmann::json{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", keyId}}.dump();
  const std::string claims =
      R"({"iss":"sbx-run","sub":"s","aud":"a","scope":"x","jti":"r","iat":1,"exp":2,"sbx":{"task":"t"}})";
  auto withClaim = [&](const std::string& name, const std::string& value) {
    nlohmann::json c = nlohmann::json::parse(claims);
    c[name] = nlohmann::json::parse(value);
    return token(goodHeader, c.dump());
  };
  struct Case {
    std::string what, token, reason;
  };
  const Case cases[] = {
      {"empty", "", "three base64url parts"},
      {"two parts", "a.b", "three base64url parts"},
      {"four parts", "a.b.c.d", "three base64url parts"},
      {"bad base64", "a*b.c.d", "not base64url"},
      {"header not JSON", token("{", claims), "not JSON objects"},
      {"header an array", token("[]", claims), "not JSON objects"},
      {"claims a string", token(goodHeader, "\"x\""), "not JSON objects"},
      {"alg a number", token(R"({"alg":1,"kid":"k"})", claims), "`alg` is missing or not a string"},
      {"alg an object", token(R"({"alg":{},"kid":"k"})", claims), "`alg` is missing or not a string"},
      {"alg missing", token(R"({"kid":"k"})", claims), "`alg` is missing"},
      {"kid a number", token(R"({"alg":"EdDSA","kid":7})", claims), "`kid` is missing or not a string"},
      {"kid null", token(R"({"alg":"EdDSA","kid":null})", claims), "`kid` is missing or not a string"},
      {"typ an array", token(R"({"alg":"EdDSA","kid":"k","typ":[]})", claims), "`typ` is not a string"},
      {"iss a number", withClaim("iss", "1"), "claim `iss`"},
      {"sub an array", withClaim("sub", "[1]"), "claim `sub`"},
      {"aud null", withClaim("aud", "null"), "claim `aud`"},
      {"scope an object", withClaim("scope", "{}"), "claim `scope`"},
      {"jti a bool", withClaim("jti", "true"), "claim `jti`"},
      {"exp a string", withClaim("exp", "\"2\""), "claim `exp`"},
      {"exp a float", withClaim("exp", "2.5"), "claim `exp`"},
      {"exp too large", withClaim("exp", "18446744073709551615"), "claim `exp`"},
      {"iat an array", withClaim("iat", "[]"), "claim `iat`"},
      {"sbx a string", withClaim("sbx", "\"t\""), "claim `sbx`"},
      {"sbx.task a number", withClaim("sbx", R"({"task":1})"), "`sbx` has a field that is not a string: \"task\""},
      {"alg other", token(R"({"alg":"none\u001b[2J","kid":"k"})", claims), R"(signed with "none\u001b[2J")"},
      {"kid other", token(R"({"alg":"EdDSA","kid":"k"})", claims), "signed by key \"k\""},
      {"bad signature", token(goodHeader, claims), "the signature does not match"},
      {"huge", std::string(100000, 'a') + ".b.c", "longer than 16384 bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    for (std::string format : {"text", "json"}) {
      Run r = verifyToken(state, c.token, {"--format", format});
      INFO(r.out << r.err);
      CHECK(r.exitCode == 1);
      CHECK(r.err.find("internal error") == std::string::npos);
      if (format == "text") {
        CHECK(r.out.starts_with("invalid: "));
        CHECK(r.out.find(c.reason) != std::string::npos);
      } else {
        auto verdict = nlohmann::json::parse(r.out, nullptr, false);
        REQUIRE(verdict.is_object());
        CHECK(verdict["valid"] == false);
        CHECK(verdict["reason"].get<std::string>().find(c.reason) != std::string::npos);
      }
    }
  }
  // From stdin, a flood is cut and refused (within one pipe buffer: the test writes it whole).
  Run flood = sbxc({"token", "verify", "--state-dir", state, "-"}, std::string(60000, 'a'));
  CHECK(flood.exitCode == 1);
  CHECK(flood.out.find("longer than 16384 bytes") != std::string::npos);
}
