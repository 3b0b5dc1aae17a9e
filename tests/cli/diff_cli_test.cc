// `sbxc diff` (issue 16, point 7): findings added and removed, a new error first, and the tier
// even when it does not move; syscall changes as the std.syscalls groups that changed; and
// `--base REF FILE` against a git revision with that revision's relative imports.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

Run diff(const std::string& before, const std::string& after, const std::vector<std::string>& options = {}) {
  TempDir dir;
  writeText(dir.path() / "old.sbx", before);
  writeText(dir.path() / "new.sbx", after);
  std::vector<std::string> args{"diff"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back((dir.path() / "old.sbx").string());
  args.push_back((dir.path() / "new.sbx").string());
  return sbxc(args);
}

std::string task(const std::string& body) {
  return "import std.syscalls\n\ntask t {\n  read \"/usr\"\n  write workspace\n" + body + "}\n";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `git` in `dir`, with an identity for commits and no user or system configuration.
Run git(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/git", "-C", dir.string(), "-c", "user.name=sbxc test", "-c",
                             "user.email=test@sbx.local", "-c", "commit.gpgsign=false"});
  return run(args, "", "", {"PATH=/usr/bin:/bin", "HOME=" + dir.string(), "GIT_CONFIG_NOSYSTEM=1"});
}

}  // namespace

TEST_CASE("diff: a finding added is shown, and the tier, when no authority and no tier moves") {
  Run r = diff(task("  expect tier 1\n"), task("  expect tier 0\n"));
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out.starts_with("1 new lint error: `sbxc compile` of the new policy stops on it"));
  CHECK(has(r.out,
            "task `t`: tier T1 (unchanged)\n  findings:\n    + error SBX1211 tier-drift: task `t` expects tier 0 "
            "but is tier 1\n"));
  Run back = diff(task("  expect tier 0\n"), task("  expect tier 1\n"));  // and gone again
  CHECK(has(back.out, "    - error SBX1211 tier-drift"));
  CHECK_FALSE(has(back.out, "new lint error"));
  auto j = nlohmann::json::parse(diff(task("  expect tier 1\n"), task("  expect tier 0\n"), {"--format", "json"}).out);
  CHECK(j["newErrors"] == 1);
  CHECK(j["tasks"][0]["tier"]["old"] == 1);
  CHECK(j["tasks"][0]["tier"]["new"] == 1);
  CHECK(j["tasks"][0]["findings"]["added"][0]["rule"] == "tier-drift");
  CHECK(j["tasks"][0]["findings"]["added"][0]["severity"] == "error");
  CHECK(diff(task(""), task("")).out == "no change in authority or findings\n");
}

TEST_CASE("diff: new errors are listed before new warnings") {
  // The egress makes the task T2: it now expects the wrong tier (an error) and sets no pids (a warning).
  Run r = diff(task("  expect tier 1\n"), task("  expect tier 1\n  connect \"api.example.com:443\"\n"));
  INFO(r.out);
  auto error = r.out.find("+ error SBX1211"), warning = r.out.find("+ warning SBX1216");
  REQUIRE(error != std::string::npos);
  REQUIRE(warning != std::string::npos);
  CHECK(error < warning);
  CHECK(has(r.out, "task `t`: tier T1 -> T2"));
}

TEST_CASE("diff: syscalls that make up a std.syscalls group are shown as that group, the rest one by one") {
  std::string before = task("  syscalls {\n    default errno EPERM\n    allow @syscalls.default\n  }\n");
  std::string after =
      task("  syscalls {\n    default errno EPERM\n    allow @syscalls.default, @syscalls.network-io, sysinfo\n  }\n");
  Run r = diff(before, after);
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out,
            "+ allow @syscalls.network-io (18 syscalls: accept, accept4, bind, connect, getpeername, "
            "getsockname, ...)\n"));
  CHECK(has(r.out, "+ allow sysinfo\n"));
  CHECK_FALSE(has(r.out, "+ allow socket\n"));
  CHECK_FALSE(has(r.out, "@syscalls.default"));  // unchanged
  Run removed = diff(after, before);
  CHECK(has(removed.out, "- allow @syscalls.network-io (18 syscalls:"));
  // A union group counts as the one group it is, not as its parts.
  Run wide = diff(before, task("  syscalls {\n    default errno EPERM\n    allow @syscalls.system-service\n  }\n"));
  CHECK(has(wide.out, "+ allow @syscalls.system-service ("));
  CHECK_FALSE(has(wide.out, "+ allow @syscalls.basic-io"));
  CHECK(std::count(wide.out.begin(), wide.out.end(), '\n') < 20);
}

TEST_CASE("diff --base REF FILE: against a git revision, with that revision's relative imports") {
  TempDir repo;
  fs::path root = repo.path() / "repo";
  fs::create_directories(root / "policies/lib");
  REQUIRE(git(root, {"init", "-q"}).exitCode == 0);
  writeText(root / "policies/lib/data.sbx", "profile data {\n  read \"/srv/data\"\n}\n");
  writeText(root / "policies/task.sbx",
            "import \"lib/data.sbx\"\n\ntask t {\n  read \"/usr\"\n  write workspace\n  use data.data\n}\n");
  REQUIRE(git(root, {"add", "-A"}).exitCode == 0);
  REQUIRE(git(root, {"commit", "-q", "-m", "first"}).exitCode == 0);
  // The change: the imported profile now writes, and the task gains a destination.
  writeText(root / "policies/lib/data.sbx", "profile data {\n  write \"/srv/data\"\n}\n");
  writeText(root / "policies/task.sbx",
            "import \"lib/data.sbx\"\n\ntask t {\n  read \"/usr\"\n  write workspace\n"
            "  use data.data\n  connect \"api.example.com:443\"\n}\n");

  Run r = sbxc({"diff", "--base", "HEAD", "policies/task.sbx"}, "", root.string());
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, "task `t`: tier T1 -> T2"));
  CHECK(has(r.out, "- read /srv/data\n"));
  CHECK(has(r.out, "+ write /srv/data\n"));
  CHECK(has(r.out, "+ api.example.com:443\n"));
  // The same from another directory, by an absolute path; the work tree is left as it is.
  Run absolute = sbxc({"diff", "--base", "HEAD", (root / "policies/task.sbx").string()}, "", repo.path().string());
  CHECK(absolute.out == r.out);
  CHECK(git(root, {"status", "--porcelain"}).out == " M policies/lib/data.sbx\n M policies/task.sbx\n");

  // A policy new since REF: every task is added.
  writeText(root / "policies/other.sbx", "task o {\n  read \"/usr\"\n}\n");
  Run added = sbxc({"diff", "--base", "HEAD", "policies/other.sbx"}, "", root.string());
  CHECK(added.exitCode == 0);
  CHECK(has(added.out, "task `o`: new task, T0"));
  // A revision that is not one, or an option in its place: refused, nothing run.
  Run bad = sbxc({"diff", "--base", "no-such-ref", "policies/task.sbx"}, "", root.string());
  CHECK(bad.exitCode == 3);
  CHECK(has(bad.err, "`no-such-ref` names no commit"));
  CHECK(sbxc({"diff", "--base", "--output=/tmp/x", "policies/task.sbx"}, "", root.string()).exitCode == 3);
  CHECK(sbxc({"diff", "--base", "HEAD", "a.sbx", "b.sbx"}, "", root.string()).exitCode == 3);
}

TEST_CASE("diff: the verdict says whether the change adds authority, proved on the compiled tasks") {
  std::string exact = task("  connect \"api.example.com:443\"\n"), wild = task("  connect \"*.example.com:443\"\n");
  Run adds = diff(exact, wild);
  INFO(adds.out << adds.err);
  CHECK(has(adds.out, "verdict: adds authority (task `t`: egress sbx-prove-unlisted.example.com:443 (tcp))\n"));
  Run removes = diff(wild, exact);
  CHECK(has(removes.out,
            "verdict: removes authority only (task `t`: egress sbx-prove-unlisted.example.com:443 (tcp): "
            "no longer granted)\n"));
  auto j = nlohmann::json::parse(diff(wild, exact, {"--format", "json"}).out);
  CHECK(j["authority"]["verdict"] == "removes-only");
  CHECK(nlohmann::json::parse(diff(exact, exact, {"--format", "json"}).out)["authority"]["verdict"] == "same");
  // A change in findings only: the same authority.
  Run same = diff(task("  expect tier 1\n"), task("  expect tier 0\n"));
  CHECK(has(same.out, "verdict: grants the same authority\n"));
  // A syscall argument value: the diff's categories do not show it, the verdict does.
  std::string unix = task("  syscalls {\n    default errno EPERM\n    allow flock if arg1 == 1\n  }\n");
  std::string inet = task("  syscalls {\n    default errno EPERM\n    allow flock if arg1 == 2\n  }\n");
  Run arg = diff(unix, inet);
  INFO(arg.out);
  CHECK(has(arg.out, "verdict: adds authority (task `t`: syscall flock(0x0, 0x2, 0x0, 0x0, 0x0, 0x0) on x86_64)\n"));
}
