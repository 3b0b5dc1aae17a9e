// `sbxc compile` and lint findings (issue 16, point 6): an error-level finding stops the compile
// with nothing written, unless an @suppress with a reason silences it; warnings never stop it.
#include <doctest/doctest.h>

#include <filesystem>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// A T3 task whose token lives an hour but the task ten seconds: credential-outlives-task
// (SBX1212, an error), and a warning (the secret is no single tool's). `attribute` goes on the secret.
std::string outlivingToken(const std::string& attribute = "") {
  return R"(task leaky {
  description "Holds a token longer than it runs"
  owner "sbx-platform"
  identity spiffe "spiffe://sbx.local/test/leaky"
  timeout 10s
  expect tier 3
  read "/usr"
  write workspace

  )" + attribute +
         R"(
  secret demo_token {
    source "broker://local/demo"
    scope "demo:read"
    audience "demo.local"
    ttl 1h
    expose file "/run/secrets/demo_token"
  }
}
)";
}

}  // namespace

TEST_CASE("compile: a lint error stops it with nothing written, and prints the error and how to suppress it") {
  TempDir dir;
  writeText(dir.path() / "leaky.sbx", outlivingToken());
  fs::path out = dir.path() / "out";
  Run r = sbxc({"compile", (dir.path() / "leaky.sbx").string(), "-o", out.string()});
  INFO(r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("error[SBX1212]") != std::string::npos);
  CHECK(r.err.find("warning[SBX1225]") != std::string::npos);
  CHECK(r.err.find("1 lint error above; nothing was written") != std::string::npos);
  CHECK(r.err.find("@suppress(credential-outlives-task, reason") != std::string::npos);
  CHECK(r.out.empty());
  CHECK(!fs::exists(out));
  // Every target stops the same way, --allow-lossy or not.
  Run bwrap =
      sbxc({"compile", "--target", "bwrap", "--allow-lossy", (dir.path() / "leaky.sbx").string(), "-o", out.string()});
  CHECK(bwrap.exitCode == 1);
  CHECK(!fs::exists(out));
  // --print-inputs (sbx-run's compile) prints nothing for a cache to record.
  Run inputs = sbxc({"compile", "--print-inputs", (dir.path() / "leaky.sbx").string(), "-o", out.string()});
  CHECK(inputs.exitCode == 1);
  CHECK(inputs.out.empty());
}

TEST_CASE("compile: a suppressed lint error does not stop it, and a warning never does") {
  TempDir dir;
  writeText(dir.path() / "leaky.sbx",
            outlivingToken("@suppress(credential-outlives-task, reason \"the broker revokes it when the task ends\")"));
  fs::path out = dir.path() / "out";
  Run r = sbxc({"compile", (dir.path() / "leaky.sbx").string(), "-o", out.string()});
  INFO(r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.err.find("SBX1212") == std::string::npos);
  CHECK(r.err.find("warning[SBX1225]") != std::string::npos);  // printed, not stopping
  CHECK(fs::exists(out / "leaky/plan.json"));
  // The suppression and its reason are in the report.
  CHECK(readText(out / "leaky/report.json").find("the broker revokes it when the task ends") != std::string::npos);
}

TEST_CASE("compile: an expired suppression no longer silences the error") {
  TempDir dir;
  writeText(
      dir.path() / "leaky.sbx",
      outlivingToken("@suppress(credential-outlives-task, reason \"until the broker revokes\", until 2020-01-01)"));
  Run r = sbxc({"compile", (dir.path() / "leaky.sbx").string(), "-o", (dir.path() / "out").string()});
  INFO(r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("error[SBX1212]") != std::string::npos);
  CHECK(!fs::exists(dir.path() / "out"));
}

TEST_CASE("compile: every example compiles (none has an unsuppressed lint error)") {
  std::vector<fs::path> policies;
  for (const auto& e : fs::recursive_directory_iterator(sourceDir() / "examples"))
    if (e.path().extension() == ".sbx") policies.push_back(e.path());
  REQUIRE(policies.size() >= 10);
  for (const auto& policy : policies) {
    CAPTURE(policy);
    TempDir dir;
    Run r = sbxc({"compile", policy.string(), "-o", (dir.path() / "out").string()});
    INFO(r.err);
    CHECK(r.exitCode == 0);
  }
}
