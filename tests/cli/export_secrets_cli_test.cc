// `sbxc compile --target vault|aws-iam`: token scopes exported for secret managers, each with its
// loss report; an export that would lose a control the tier makes mandatory writes nothing unless
// --allow-lossy; output is deterministic.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

const std::string kDemo = (sourceDir() / "examples/token-demo.sbx").string();

// A T3 task whose token may live 20 minutes within a 30-minute timeout: within what STS allows.
constexpr const char* kLongTask = R"(task deploy_check {
  identity spiffe "spiffe://sbx.local/test/deploy-check"
  timeout 30m
  @suppress(unscoped-token, reason "the test exports the secret alone")
  secret reader {
    source "aws://arn:aws:iam::123456789012:role/sbx-reader"
    scope "s3:GetObject", "s3:ListBucket", "artifacts"
    audience "arn:aws:s3:::acme-artifacts/*"
    ttl 20m
    expose file
  }
}
)";

}  // namespace

TEST_CASE("export vault: a read policy on the secret's path and a short-lived token role") {
  TempDir dir;
  Run r = sbxc({"compile", kDemo, "--target", "vault", "-o", dir.path().string()});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  fs::path out = dir.path() / "token_demo";
  std::string hcl = readText(out / "vault/demo_token.hcl");
  CHECK(hcl.find("path \"local/demo\" {\n  capabilities = [\"read\"]\n}") != std::string::npos);
  auto role = nlohmann::json::parse(readText(out / "vault/demo_token.token-role.json"));
  CHECK(role["token_ttl"] == "300s");
  CHECK(role["token_explicit_max_ttl"] == "300s");
  CHECK(role["token_num_uses"] == 0);
  CHECK(role["renewable"] == false);
  CHECK(role["allowed_policies"] == nlohmann::json::array({"sbx-token_demo-demo_token"}));
  auto losses = nlohmann::json::parse(readText(out / "loss.json"));
  CHECK(losses["tier"] == 3);
  CHECK(losses["losses"].size() == 3);
  for (const auto& l : losses["losses"]) CHECK(l["mandatory"] == false);
  CHECK(r.err.find("lost scopes of `demo_token` (demo:read)") != std::string::npos);
  // Deterministic: the same input gives the same bytes.
  TempDir again;
  REQUIRE(sbxc({"compile", kDemo, "--target", "vault", "-o", again.path().string()}).exitCode == 0);
  for (const char* f : {"vault/demo_token.hcl", "vault/demo_token.token-role.json", "vault/README.txt", "loss.json"})
    CHECK(readText(out / f) == readText(again.path() / "token_demo" / f));
}

TEST_CASE("export aws-iam: STS's 900 s minimum would outlive the demo's timeout, so it needs --allow-lossy") {
  TempDir dir;
  Run refused = sbxc({"compile", kDemo, "--target", "aws-iam", "-o", dir.path().string()});
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("MANDATORY at T3 TTL of `demo_token` (300 s): STS sessions last at least 900 s, longer "
                         "than the task's timeout of 600 s") != std::string::npos);
  CHECK(refused.err.find("nothing was written") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "token_demo"));
  Run lossy = sbxc({"compile", kDemo, "--target", "aws-iam", "--allow-lossy", "-o", dir.path().string()});
  REQUIRE(lossy.exitCode == 0);
  auto assume = nlohmann::json::parse(readText(dir.path() / "token_demo/aws-iam/demo_token.assume-role.json"));
  CHECK(assume["DurationSeconds"] == 900);
  auto losses = nlohmann::json::parse(readText(dir.path() / "token_demo/loss.json"));
  bool mandatory = false;
  for (const auto& l : losses["losses"]) mandatory |= l["mandatory"] == true;
  CHECK(mandatory);
}

TEST_CASE("export aws-iam: IAM actions, the role and the resource from the declaration") {
  TempDir dir;
  writeText(dir.path() / "deploy.sbx", kLongTask);
  Run r = sbxc(
      {"compile", (dir.path() / "deploy.sbx").string(), "--target", "aws-iam", "-o", (dir.path() / "out").string()});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  fs::path out = dir.path() / "out/deploy_check/aws-iam";
  auto policy = nlohmann::json::parse(readText(out / "reader.session-policy.json"));
  CHECK(policy["Version"] == "2012-10-17");
  CHECK(policy["Statement"][0]["Action"] == nlohmann::json::array({"s3:GetObject", "s3:ListBucket"}));
  CHECK(policy["Statement"][0]["Resource"] == "arn:aws:s3:::acme-artifacts/*");
  auto assume = nlohmann::json::parse(readText(out / "reader.assume-role.json"));
  CHECK(assume["RoleArn"] == "arn:aws:iam::123456789012:role/sbx-reader");
  CHECK(assume["DurationSeconds"] == 1200);
  CHECK(nlohmann::json::parse(assume["Policy"].get<std::string>()) == policy);
  CHECK(r.err.find("lost scope `artifacts` of `reader`: not an IAM action") != std::string::npos);
}

TEST_CASE("export: an unknown target is a usage error") {
  TempDir dir;
  Run r = sbxc({"compile", kDemo, "--target", "nomad", "-o", dir.path().string()});
  CHECK(r.exitCode == 3);
}

TEST_CASE("export vault and aws-iam: a `source file` secret is no secret-manager entry, and says so") {
  TempDir dir;
  fs::path policy = dir.path() / "mirror.sbx";
  writeText(policy, R"(task mirror {
  identity spiffe "spiffe://sbx.local/test/mirror"
  timeout 10m
  @suppress(long-lived-credential, reason "a deploy key the CI host holds")
  @suppress(unscoped-token, reason "the test's task reads it")
  secret deploy_key {
    source file "/home/ci/.ssh/deploy_key"
    expose file
  }
}
)");
  for (const char* target : {"vault", "aws-iam"}) {
    CAPTURE(target);
    TempDir out;
    Run r = sbxc({"compile", policy.string(), "--target", target, "-o", out.path().string()});
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(r.err.find("`deploy_key` from the host file /home/ci/.ssh/deploy_key") != std::string::npos);
    CHECK_FALSE(fs::exists(out.path() / "mirror/vault/deploy_key.hcl"));
  }
}

TEST_CASE("plan.json: a secret given to nobody is not minted; a `source file` one is a host file, TTL 0") {
  TempDir dir;
  fs::path policy = dir.path() / "two.sbx";
  writeText(policy, R"(task two {
  identity spiffe "spiffe://sbx.local/test/two"
  timeout 10m
  secret nobody_token {
    source "broker://reports/summary"
    scope "reports:read"
    audience "reports.example.org"
    ttl 5m
  }
  @suppress(long-lived-credential, reason "a deploy key the CI host holds")
  @suppress(unscoped-token, reason "the test's task reads it")
  secret deploy_key {
    source file "/home/ci/.ssh/deploy_key"
    expose file
  }
}
)");
  Run r = sbxc({"compile", policy.string(), "-o", dir.path().string()});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.find("secret `nobody_token` is exposed to nothing and used by no tool") != std::string::npos);
  auto plan = nlohmann::json::parse(readText(dir.path() / "two/plan.json"));
  REQUIRE(plan["tokens"].size() == 1);
  CHECK(plan["tokens"][0]["secret"] == "deploy_key");
  CHECK(plan["tokens"][0]["sourceKind"] == "file");
  CHECK(plan["tokens"][0]["source"] == "/home/ci/.ssh/deploy_key");
  CHECK(plan["tokens"][0]["ttlMs"] == 0);
}
