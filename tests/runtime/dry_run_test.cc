// `sbx-run --dry-run` (runtime/dry_run.h): the mount tree, egress, tokens, limits and filter a
// task would get, every host path that is missing, and exit 125 when the task could not start,
// all without starting anything.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

Run dryRun(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {SBX_RUN_BINARY, "--dry-run"});
  return run(args, "", "", {"SBX_RUN_CACHE=" + (dir.path() / "cache").string(), "PATH=/usr/bin:/bin"});
}

constexpr const char* kBroken = R"(import std.programs
task broken {
  use programs.shell
  write workspace
  read "/usr"
  exec "/usr/bin/env"
  read "/nonexistent/sbx-dry-run/data"
  exec "/nonexistent/sbx-dry-run/tool"
  connect "api.example.org:443"
  timeout 1m
  limits { memory 256MiB  pids 16 }
}
)";

}  // namespace

TEST_CASE("dry run: a task that cannot start gets every reason, and nothing is started") {
  TempDir dir;
  fs::path policy = dir.path() / "broken.sbx";
  writeText(policy, kBroken);
  Run r = dryRun(dir, {policy.string()});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 125);
  CHECK(r.out.find("task broken (tier T") != std::string::npos);
  // The tree: /usr/bin/env inside /usr, indented under it.
  CHECK(r.out.find("\n  /usr  bind of /usr, read-only") != std::string::npos);
  CHECK(r.out.find("\n    /usr/bin/env  ") != std::string::npos);
  CHECK(r.out.find("api.example.org:443 tcp") != std::string::npos);
  CHECK(r.out.find("limits: memory 256 MiB, pids 16, timeout 60 s") != std::string::npos);
  CHECK(r.out.find("filter: seccomp.bpf (") != std::string::npos);
  CHECK(r.out.find("cannot start (3 problems):") != std::string::npos);
  CHECK(r.out.find("/nonexistent/sbx-dry-run/data: no such file or directory") != std::string::npos);
  CHECK(r.out.find("/nonexistent/sbx-dry-run/tool: no such file or directory") != std::string::npos);
  CHECK(r.out.find("give the host directory with --workspace DIR") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "ws"));
}

TEST_CASE("dry run: a task that can start says so and exits 0") {
  TempDir dir;
  fs::path workspace = dir.path() / "ws";
  fs::create_directories(workspace);
  Run r = dryRun(dir, {"--workspace", workspace.string(), (sourceDir() / "examples/contained.sbx").string()});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out.find("workspace " + fs::canonical(workspace).string() + ", writable") != std::string::npos);
  CHECK(r.out.find("ready: the task can start (nothing was started)") != std::string::npos);
  CHECK(fs::is_empty(workspace));
}

TEST_CASE("dry run: it takes no command and no audit log") {
  TempDir dir;
  std::string policy = (sourceDir() / "examples/contained.sbx").string();
  Run audited = dryRun(dir, {"--audit", (dir.path() / "audit").string(), policy});
  CHECK(audited.exitCode == 125);
  CHECK(audited.err.find("--dry-run starts nothing to audit") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "audit"));
}

TEST_CASE("dry run: a limit above sbx-run's own hard limit is a reason it cannot start, with the fix") {
  // The payload sets its rlimits in its own user namespace, where no hard limit can be raised.
  TempDir dir;
  fs::path policy = dir.path() / "files.sbx";
  writeText(policy, "import std.programs\ntask files {\n  use programs.shell\n  limits { files 128 }\n}\n");
  Run r = run({"/usr/bin/prlimit", "--nofile=64:64", SBX_RUN_BINARY, "--dry-run", policy.string()}, "", "",
              {"SBX_RUN_CACHE=" + (dir.path() / "cache").string(), "PATH=/usr/bin:/bin"});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 125);
  CHECK(r.out.find("rlimit nofile 128: above sbx-run's hard limit of 64, which the sandbox (in its own user "
                   "namespace) cannot raise; raise the hard limit of the shell or container that starts sbx-run "
                   "(prlimit --nofile=128), or lower the task's limit") != std::string::npos);
}
