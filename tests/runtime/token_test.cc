// Just-in-time tokens from sbx-run's broker (examples/token-demo.sbx), checked the way a service
// would, with `sbxc token verify`: valid while the task runs; refused after it ended (revoked),
// after expiry, for another audience or scope, when altered; exposed only as declared (a 0400
// file on a read-only private tmpfs, not in the environment); never in clear in the audit log;
// the signing key never inside the sandbox; a token meant for one tool alone is not the task's
// (tool_token_test.cc tests the tool's side).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

struct Broker {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", state = dir.path() / "state", audit = dir.path() / "audit.jsonl";
  Broker() {
    fs::create_directories(workspace);
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  }
  std::vector<std::string> env() const {
    return {"SBX_RUN_CACHE=" + (dir.path() / "cache").string(), "SBX_STATE_DIR=" + state.string(),
            "PATH=/usr/bin:/bin"};
  }
  Run launch(const fs::path& policy, const std::string& script) const {
    return run({SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(), policy.string(), "--",
                "/bin/sh", "-c", script},
               "", "", env());
  }
  Run verify(const std::string& token, const std::vector<std::string>& options = {}) const {
    return verifyToken(state.string(), token, options);
  }
};

}  // namespace

TEST_CASE("tokens: valid during the run, refused after it, for another audience or scope, expired, altered") {
  Broker b;
  Run during, after;
  std::string token;
  // The task copies its token out, then waits until the test has checked it.
  std::thread task([&] {
    during = b.launch(sourceDir() / "examples/token-demo.sbx",
                      "cat /run/secrets/demo_token > /workspace/token.tmp && mv /workspace/token.tmp /workspace/token; "
                      "while [ ! -e /workspace/done ]; do sleep 0.05; done");
  });
  REQUIRE(waitForFile(b.workspace / "token", 15));
  token = readText(b.workspace / "token");
  Run valid = b.verify(token, {"--audience", "demo.local", "--scope", "demo:read"});
  Run otherAudience = b.verify(token, {"--audience", "other.local"});
  Run otherScope = b.verify(token, {"--scope", "demo:write"});
  auto claims = nlohmann::json::parse(b.verify(token, {"--format", "json"}).out)["claims"];
  Run expired = b.verify(token, {"--at", std::to_string(claims.value("exp", 0LL) + 1)});
  std::string altered = token;
  altered[altered.find('.') + 5] ^= 1;  // one bit of the claims
  Run tampered = b.verify(altered);
  writeText(b.workspace / "done", "");
  task.join();
  after = b.verify(token);

  INFO(during.err);
  CHECK(during.exitCode == 0);
  CHECK(valid.exitCode == 0);
  CHECK(valid.out.starts_with("valid: spiffe://sbx.local/demo/token-demo for demo.local (scope: demo:read)"));
  CHECK(claims.value("iss", "") == "sbx-run");
  CHECK(claims.value("exp", 0LL) - claims.value("iat", 0LL) == 300);  // ttl 5m
  CHECK(otherAudience.exitCode == 1);
  CHECK(otherAudience.out == "invalid: for audience `demo.local`, not `other.local`\n");
  CHECK(otherScope.exitCode == 1);
  CHECK(otherScope.out.find("scope `demo:write` is not granted") != std::string::npos);
  CHECK(expired.exitCode == 1);
  CHECK(expired.out == "invalid: expired 1 s ago\n");
  CHECK(tampered.exitCode == 1);
  CHECK(after.exitCode == 1);
  CHECK(after.out.find("invalid: revoked: the task run " + claims.value("jti", "")) == 0);

  std::string audit = readText(b.audit);
  CHECK(audit.find("\"event\":\"token-issued\"") != std::string::npos);
  CHECK(audit.find("\"event\":\"token-revoked\"") != std::string::npos);
  CHECK(audit.find(token.substr(token.rfind('.') + 1)) == std::string::npos);  // no signature in clear
  CHECK(audit.find(token.substr(0, token.rfind('.'))) == std::string::npos);
}

TEST_CASE("tokens: exposed only as declared, and the signing key stays outside") {
  Broker b;
  Run r = b.launch(sourceDir() / "examples/token-demo.sbx",
                   "stat -c '%a %U' /run/secrets /run/secrets/demo_token; env | grep -c eyJ; "
                   "echo x > /run/secrets/other 2>/dev/null || echo read-only; ls " +
                       b.state.string() + " 2>/dev/null || echo no-state-dir");
  INFO(r.err);
  CHECK(r.out == "500 nobody\n400 nobody\n0\nread-only\nno-state-dir\n");
  struct stat key {};
  REQUIRE(stat((b.state / "signing-key.pem").c_str(), &key) == 0);
  CHECK((key.st_mode & 0777) == 0600);
  CHECK(fs::exists(b.state / "signing-key.pub.pem"));
}

TEST_CASE("tokens: a token meant for one tool alone is not handed to the task's processes") {
  Broker b;
  fs::path policy = b.dir.path() / "tool.sbx";
  writeText(policy, R"(import std.programs
task t {
  identity spiffe "spiffe://sbx.local/test"
  use programs.shell
  write workspace
  timeout 1m
  tool deployer {
    description "Deploys"
    exec "/usr/bin/true"
    action run effect write
    uses secret deploy_token
  }
  secret deploy_token {
    source "broker://test/deploy"
    scope "deploy:run"
    audience "deploy.local"
    ttl 1m
  }
  syscalls {
    default errno EPERM
    allow socket if arg0 == AF_UNIX
    allow connect, sendmsg
  }
  limits { memory 256MiB  pids 64 }
}
)");
  Run r = b.launch(policy, "readlink /run/secrets/deploy_token; cat /run/secrets/deploy_token; env | grep -c eyJ");
  INFO(r.err);
  CHECK(r.out == "/proc/self/fd/200\n0\n");  // the tool's descriptor; the shell's own holds nothing
  CHECK(r.err.find("No such file or directory") != std::string::npos);
  CHECK(fs::exists(b.state / "signing-key.pem"));  // minted, for the tool
}
