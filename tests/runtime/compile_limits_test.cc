// sbx-run compiles a policy under limits (runtime/sbxc_process.h, compileLimits()): a compile
// that runs out of its memory or its CPU time stops the start with exit 125 and a message that
// names the limit and its variable, never an OOM of the machine or a start without a plan.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

bool addressSanitizer() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// sbx-run starting `/bin/true` from `policy`, with `env` added.
Run start(const TempDir& dir, const fs::path& policy, std::vector<std::string> env) {
  fs::path workspace = dir.path() / "ws";
  fs::create_directories(workspace);
  if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  env.push_back("SBX_RUN_CACHE=" + (dir.path() / "cache").string());
  env.push_back("PATH=/usr/bin:/bin");
  return run({SBX_RUN_BINARY, "--workspace", workspace.string(), policy.string(), "--", "/bin/true"}, "", "", env);
}

}  // namespace

TEST_CASE("compile limits: a compile that uses up its CPU time is stopped and named") {
  TempDir dir;
  fs::path policy = dir.path() / "p.sbx", spinner = dir.path() / "spinning-sbxc";
  writeText(policy, "task t {\n  timeout 1m\n}\n");
  // A compiler that never finishes stands for a policy that takes it forever.
  writeText(spinner, "#!/bin/sh\nwhile :; do :; done\n");
  fs::permissions(spinner, fs::perms::owner_all);
  Run r = start(dir, policy, {"SBXC=" + spinner.string(), "SBX_RUN_COMPILE_CPU_SECONDS=1"});
  INFO(r.err);
  CHECK(r.exitCode == 125);
  CHECK(r.err.find("used up its 1 s of CPU time (SBX_RUN_COMPILE_CPU_SECONDS)") != std::string::npos);
}

TEST_CASE("compile limits: a policy that needs more memory than the compile may use is refused by name") {
  if (addressSanitizer()) return;  // ASan's shadow memory does not fit any address-space limit
  TempDir dir;
  fs::path policy = dir.path() / "big.sbx";
  // Valid, within sbxc's 16 MiB input limit, and far more than 200 MiB of tokens and tree.
  std::string text;
  for (int i = 0; text.size() < (14u << 20); ++i) text += "group g" + std::to_string(i) + " { read, write, close }\n";
  writeText(policy, text + "task t {\n  timeout 1m\n}\n");
  Run r = start(dir, policy, {"SBX_RUN_COMPILE_MEMORY_MIB=200"});
  INFO(r.err);
  CHECK(r.exitCode == 125);
  CHECK(r.err.find("ran out of its 200 MiB of memory (SBX_RUN_COMPILE_MEMORY_MIB)") != std::string::npos);
  CHECK(r.err.find("the task was not started") != std::string::npos);
}

TEST_CASE("compile limits: the default limits compile an ordinary policy") {
  TempDir dir;
  fs::path policy = dir.path() / "p.sbx";
  writeText(policy, "task t {\n  timeout 1m\n}\n");
  Run r = start(dir, policy, {});
  INFO(r.err);
  // Compiled and started: the task grants no /bin, so the command itself is not found (127).
  CHECK(r.exitCode == 127);
  CHECK(r.err.find("the compile of") == std::string::npos);
}
