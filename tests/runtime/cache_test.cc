// sbx-run's compile cache and the broker's state directory against another local user
// (runtime/artifacts.h, util/private_directory.h): a cache or state directory that is not the
// running user's alone is refused, as is a guessable one in /tmp; an entry altered after its
// compile, or whose imports changed (however the import is written), is compiled again.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/escape_suite.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// The victim (the mode's user) and the attacker: another local user.
struct Users {
  const Mode& victim;
  uid_t attacker;
};

std::vector<Users> victims() {
  if (geteuid() != 0) return {};  // the attacks need a second user
  return {{kModes[0], 65534}, {kModes[1], 1000}};
}

// A scratch directory both users can traverse, owned by root, writable by root alone.
struct Scratch {
  TempDir dir;
  fs::path workspace = dir.path() / "ws";
  Scratch() {
    fs::create_directories(workspace);
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    if (chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  }
  // A directory of `owner`'s, mode `mode`.
  fs::path owned(const std::string& name, uid_t owner, fs::perms mode) const {
    fs::path p = dir.path() / name;
    fs::create_directories(p);
    if (chown(p.c_str(), owner, owner) != 0) FAIL("chown");
    fs::permissions(p, mode);
    return p;
  }
};

Run runAs(const Mode& mode, std::vector<std::string> argv, const std::vector<std::string>& env,
          const std::string& input = "") {
  argv.insert(argv.begin(), mode.prefix.begin(), mode.prefix.end());
  return run(argv, input, "", env);
}

Run launch(const Mode& mode, const Scratch& s, const std::vector<std::string>& env) {
  return runAs(mode,
               {SBX_RUN_BINARY, "--workspace", s.workspace.string(), (sourceDir() / "examples/contained.sbx").string(),
                "--", "/bin/true"},
               env);
}

}  // namespace

TEST_CASE("cache: another user's cache directory, or one below a directory others can write, is refused") {
  for (const auto& [victim, attacker] : victims()) {
    INFO(victim.name << ", attacker uid " << attacker);
    Scratch s;
    uid_t victimUid = victim.name == "root" ? 0 : 65534;
    // The attacker made the directory first, open to the victim's writes (as /tmp/sbx-run-UID was).
    fs::path planted = s.owned("planted", attacker, fs::perms::all);
    Run theirs = launch(victim, s, {"SBX_RUN_CACHE=" + planted.string(), "PATH=/usr/bin:/bin"});
    CHECK(theirs.exitCode == 125);
    CHECK(theirs.err.find(fmt::format("belongs to uid {}", attacker)) != std::string::npos);
    CHECK(fs::is_empty(planted));  // nothing compiled into it, nothing read from it
    // The victim's own directory, in a directory the attacker can write to (and so swap).
    fs::path open = s.owned("open", 0, fs::perms::all);  // no sticky bit: anyone may rename what is in it
    fs::path below = open / "cache";
    fs::create_directory(below);
    if (chown(below.c_str(), victimUid, victimUid) != 0) FAIL("chown");
    Run swappable = launch(victim, s, {"SBX_RUN_CACHE=" + below.string(), "PATH=/usr/bin:/bin"});
    CHECK(swappable.exitCode == 125);
    CHECK(swappable.err.find("writable by its group or by others") != std::string::npos);
    // The control: a directory of the victim's own.
    fs::path own = s.owned("own", victimUid, fs::perms::owner_all);
    Run ok = launch(victim, s, {"SBX_RUN_CACHE=" + (own / "cache").string(), "PATH=/usr/bin:/bin"});
    INFO(ok.err);
    CHECK(ok.exitCode == 0);
    CHECK((fs::status(own / "cache").permissions() & fs::perms::all) == fs::perms::owner_all);  // made 0700
  }
}

TEST_CASE("cache: without HOME or XDG_CACHE_HOME, an unprivileged sbx-run refuses rather than use /tmp") {
  if (geteuid() != 0) return skipTest("needs root: the test runs sbx-run as nobody without HOME");
  Scratch s;
  fs::path guessable = "/tmp/sbx-run-65534";
  bool existed = fs::exists(guessable);
  Run r = launch(kModes[1], s, {"PATH=/usr/bin:/bin"});
  CHECK(r.exitCode == 125);
  CHECK(r.err.find("set SBX_RUN_CACHE, XDG_CACHE_HOME or HOME") != std::string::npos);
  CHECK(fs::exists(guessable) == existed);
}

TEST_CASE("state: a public key planted in another user's state directory does not make sbxc accept a token") {
  for (const auto& [victim, attacker] : victims()) {
    INFO(victim.name << ", attacker uid " << attacker);
    Scratch s;
    // Readable by all, so that the victim's sbxc could read it before it checked owners.
    fs::path state = s.owned("state", attacker,
                             fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
    // The attacker signs a token of their own, with the scope they want, in their directory.
    Mode asAttacker{"attacker",
                    {"/usr/bin/setpriv", fmt::format("--reuid={}", attacker), fmt::format("--regid={}", attacker),
                     "--clear-groups"}};
    nlohmann::json request{{"stateDir", state.string()},
                           {"tokens",
                            {{{"subject", "spiffe://sbx.local/x"},
                              {"audience", "demo.local"},
                              {"scopes", {"admin:all"}},
                              {"runId", std::string(32, 'a')},
                              {"task", "x"},
                              {"secret", "x"},
                              {"source", "broker://x"},
                              {"issuedAt", std::time(nullptr)},
                              {"expiresAt", std::time(nullptr) + 600}}}}};
    Run minted = runAs(asAttacker, {SBXC_BINARY, "token", "mint"}, {"PATH=/usr/bin:/bin"}, request.dump());
    INFO(minted.err);
    REQUIRE(minted.exitCode == 0);
    std::string token = nlohmann::json::parse(minted.out)["tokens"][0];
    Run verified =
        runAs(victim, {SBXC_BINARY, "token", "verify", "--state-dir", state.string(), "--scope", "admin:all", token},
              {"PATH=/usr/bin:/bin", "NO_COLOR=1"});
    CHECK(verified.exitCode == 3);
    CHECK(!verified.out.starts_with("valid"));
    CHECK(verified.err.find(fmt::format("belongs to uid {}", attacker)) != std::string::npos);
  }
}

TEST_CASE("cache: a plan altered after its compile is compiled again") {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", cache = dir.path() / "cache", policy = dir.path() / "contained.sbx";
  fs::create_directories(workspace);
  if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  fs::copy_file(sourceDir() / "examples/contained.sbx", policy);
  auto start = [&] {
    return run({SBX_RUN_BINARY, "--workspace", workspace.string(), policy.string(), "--", "/bin/true"}, "", "",
               {"SBX_RUN_CACHE=" + cache.string(), "PATH=/usr/bin:/bin"});
  };
  REQUIRE(start().exitCode == 0);
  std::vector<fs::path> plans;
  for (const auto& e : fs::recursive_directory_iterator(cache))
    if (e.path().filename() == "plan.json") plans.push_back(e.path());
  REQUIRE(plans.size() == 1);
  std::string compiled = readText(plans[0]);
  auto altered = nlohmann::json::parse(compiled);
  altered["task"]["timeoutMs"] = 1;  // still a plan; not the one compiled
  writeText(plans[0], altered.dump());
  Run again = start();
  INFO(again.err);
  CHECK(again.exitCode == 0);
  CHECK(readText(plans[0]) == compiled);
}

TEST_CASE("cache: a library imported with `import` and its path on the next line is part of the key") {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", cache = dir.path() / "cache", data = dir.path() / "data";
  fs::create_directories(workspace);
  fs::create_directories(data);
  fs::create_directories(dir.path() / "lib");
  if (geteuid() == 0 && (chown(workspace.c_str(), 65534, 65534) != 0 || chown(data.c_str(), 65534, 65534) != 0))
    FAIL("chown");
  writeText(dir.path() / "policy.sbx", R"(import std.syscalls
import
  "lib/extra.sbx"

task split_import {
  timeout 10s
  read "/usr", "/lib", "/lib64", "/bin"
  write workspace
  use extra.data
  syscalls {
    default errno EPERM
    allow @syscalls.default, @syscalls.basic-io, @syscalls.file-system, @syscalls.memory, @syscalls.process,
        @syscalls.signal
  }
}
)");
  auto library = [&](const std::string& access) {
    writeText(dir.path() / "lib/extra.sbx", fmt::format("profile data {{\n  {} \"{}\"\n}}\n", access, data.string()));
  };
  auto start = [&] {
    return run({SBX_RUN_BINARY, "--workspace", workspace.string(), (dir.path() / "policy.sbx").string(), "--",
                "/bin/sh", "-c", "echo x > " + (data / "f").string()},
               "", "", {"SBX_RUN_CACHE=" + cache.string(), "PATH=/usr/bin:/bin"});
  };
  library("write");
  Run writable = start();
  INFO(writable.err);
  CHECK(writable.exitCode == 0);  // the control: the library's `write` is enforced
  CHECK(fs::exists(data / "f"));
  fs::remove(data / "f");
  library("read");
  Run readOnly = start();
  INFO(readOnly.err);
  CHECK(readOnly.exitCode != 0);
  CHECK(!fs::exists(data / "f"));
}

TEST_CASE("task directory: a plan of another schema, or with a field of the wrong type, is refused by name") {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", out = dir.path() / "out";
  fs::create_directories(workspace);
  if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  REQUIRE(sbxc({"compile", (sourceDir() / "examples/contained.sbx").string(), "-o", out.string()}).exitCode == 0);
  fs::path plan = out / "contained/plan.json";
  std::string compiled = readText(plan);
  auto start = [&] {
    return run({SBX_RUN_BINARY, "--workspace", workspace.string(), (out / "contained").string(), "--", "/bin/true"}, "",
               "", {"PATH=/usr/bin:/bin"});
  };
  REQUIRE(start().exitCode == 0);

  auto older = nlohmann::json::parse(compiled);
  older["schema"] = "sbxc.plan/v0";
  writeText(plan, older.dump());
  Run refused = start();
  CHECK(refused.exitCode == 125);
  CHECK(refused.err.find("plan.json has schema sbxc.plan/v0; this sbx-run reads sbxc.plan/v2") != std::string::npos);

  auto mistyped = nlohmann::json::parse(compiled);
  mistyped["task"]["timeoutMs"] = "10m";
  writeText(plan, mistyped.dump());
  refused = start();
  CHECK(refused.exitCode == 125);
  CHECK(refused.err.find("task.timeoutMs must be an unsigned integer, not string") != std::string::npos);
}

namespace {

// examples/contained.sbx with a token that outlives the task (credential-outlives-task, an
// error unless `attribute` suppresses it) and an unused import (a warning).
std::string outlivingTokenPolicy(const std::string& attribute) {
  std::string text = readText(sourceDir() / "examples/contained.sbx");
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  replace("expect tier 1", "expect tier 3\n  identity spiffe \"spiffe://sbx.local/test/contained\"");
  replace("import std.syscalls\n", "import std.syscalls\nimport std.programs\n");
  replace("  write workspace\n",
          "  write workspace\n  " + attribute +
              "\n  secret demo_token {\n    source \"broker://local/demo\"\n"
              "    scope \"demo:read\"\n    audience \"demo.local\"\n    ttl 1h\n    expose file\n  }\n");
  return text;
}

}  // namespace

TEST_CASE("cache: a policy with a lint error is refused with 125 and the finding, and nothing is cached") {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", cache = dir.path() / "cache", policy = dir.path() / "leaky.sbx";
  fs::create_directories(workspace);
  if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  writeText(policy, outlivingTokenPolicy(""));
  auto start = [&] {
    return run(
        {SBX_RUN_BINARY, "--workspace", workspace.string(), policy.string(), "--", "/bin/sh", "-c", "echo started"}, "",
        "", {"SBX_RUN_CACHE=" + cache.string(), "PATH=/usr/bin:/bin"});
  };
  for (int attempt = 0; attempt < 2; ++attempt) {  // refused, and refused again with the same words
    Run r = start();
    INFO(r.err);
    CHECK(r.exitCode == 125);
    CHECK(r.out.find("started") == std::string::npos);
    CHECK(r.err.find("error[SBX1212]") != std::string::npos);
    CHECK(r.err.find("has a lint error (above); the task was not started") != std::string::npos);
  }
  std::size_t entries = 0;
  if (fs::exists(cache))
    for (const auto& e : fs::directory_iterator(cache)) entries += e.is_directory();
  CHECK(entries == 0);
}

TEST_CASE("cache: a suppressed lint error starts the task, and its warning is printed once, not by each start") {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", cache = dir.path() / "cache", policy = dir.path() / "leaky.sbx";
  fs::create_directories(workspace);
  if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  std::string text =
      outlivingTokenPolicy("@suppress(credential-outlives-task, reason \"the broker revokes it when the task ends\")");
  writeText(policy, text);
  auto start = [&] {
    return run({SBX_RUN_BINARY, "--workspace", workspace.string(), policy.string(), "--", "/bin/true"}, "", "",
               {"SBX_RUN_CACHE=" + cache.string(), "PATH=/usr/bin:/bin"});
  };
  Run first = start();
  INFO(first.err);
  CHECK(first.exitCode == 0);
  CHECK(first.err.find("SBX1212") == std::string::npos);
  CHECK(first.err.find("warning[SBX0024]") != std::string::npos);
  Run hit = start();  // a cache hit compiles nothing and prints nothing
  CHECK(hit.exitCode == 0);
  CHECK(hit.err.find("SBX0024") == std::string::npos);
  writeText(policy, text + "# an edit that changes no finding\n");
  Run miss = start();  // recompiled; the same warning was printed already
  CHECK(miss.exitCode == 0);
  CHECK(miss.err.find("SBX0024") == std::string::npos);
}
