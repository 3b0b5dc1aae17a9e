// The stdlib program profiles (stdlib-policies/programs.sbx), each tested by running the real
// program under sbx-run with a policy that uses the profile and nothing more.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// Runs `script` with /bin/sh under a task that uses programs.PROFILE, a writable workspace (and
// `grants`, more task statements) and the default EPERM for every syscall the profile does not allow.
Run underProfile(const std::string& profile, const std::string& script, const TempDir& dir,
                 const std::string& grants = "") {
  fs::path workspace = dir.path() / "ws", policy = dir.path() / (profile + ".sbx");
  fs::create_directories(workspace);
  if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  writeText(policy, fmt::format(R"(import std.programs

task t {{
  use programs.{}
  write workspace
  {}
  timeout 60s
  env GIT_AUTHOR_NAME = "sbx", GIT_AUTHOR_EMAIL = "sbx@example.org", GIT_COMMITTER_NAME = "sbx",
      GIT_COMMITTER_EMAIL = "sbx@example.org"
  limits {{
    memory 2GiB
    pids 128
  }}
  syscalls {{
    default errno EPERM
  }}
}}
)",
                                profile, grants));
  return run({SBX_RUN_BINARY, "--workspace", workspace.string(), policy.string(), "--", "/bin/sh", "-c", script}, "",
             "", {"SBX_RUN_CACHE=" + (dir.path() / "cache").string()});
}

}  // namespace

TEST_CASE("profile python3: a script reads its input and writes to the workspace") {
  TempDir dir;
  Run r = underProfile(
      "python3",
      "cd /workspace && echo '6 7' > in.txt && python3 -c 'a, b = map(int, open(\"in.txt\").read().split()); "
      "open(\"out.txt\", \"w\").write(str(a * b))' && cat out.txt",
      dir);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "42");
}

TEST_CASE("profile shell: sh and bash") {
  TempDir dir;
  Run r = underProfile("shell", "bash -c 'x=(a b c); echo ${#x[@]}' && sh -c 'echo dash'", dir);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "3\ndash\n");
}

TEST_CASE("profile coreutils: sort, uniq, wc, cp, sha256sum") {
  TempDir dir;
  Run r = underProfile("coreutils",
                       "cd /workspace && printf 'b\\na\\nb\\n' > f && sort f | uniq | wc -l && cp f g && "
                       "sha256sum g | cut -c1-8",
                       dir);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "2\n7cafa1b2\n");  // sha256 of "b\na\nb\n"
}

TEST_CASE("profile git: init, add and commit in the workspace") {
  TempDir dir;
  Run r = underProfile("git",
                       "cd /workspace && git init -q repo && cd repo && echo hi > a && git add a && "
                       "git commit -qm first && git log --format=%s",
                       dir);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "first\n");
}

TEST_CASE("profile curl: runs and fetches a file from the workspace") {
  TempDir dir;
  Run r = underProfile("curl", "echo hi > /workspace/c.txt && curl -s file:///workspace/c.txt", dir);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "hi\n");
}

TEST_CASE("profile cc: make builds hello world in the workspace, which then runs") {
  TempDir dir;
  Run r = underProfile("cc",
                       "cd /workspace && printf 'hello: hello.c\\n\\tcc -O2 -o hello hello.c\\n' > Makefile && "
                       "printf '#include <stdio.h>\\nint main(void) { puts(\"hello\"); return 0; }\\n' > hello.c && "
                       "make -s && ./hello",
                       dir, "exec workspace  # the built program runs from the workspace");
  CHECK(r.exitCode == 0);
  CHECK(r.out == "hello\n");
}
