// sbx-run --learn (issue 16, point 5): a run with the policy's denials recorded, not enforced,
// writes a fragment that `sbxc check` accepts; the fragment, used by the task, runs the same
// workload with no denial. Workloads: python3 (a socket its policy denies), git (`git init` under
// a policy that allows almost no syscalls) and curl (a loopback server the policy does not allow).
// And --learn is refused for a task that holds a secret.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/policy_learner.h"
#include "support/http_server.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

struct Learning {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", policy = dir.path() / "task.sbx", applied = dir.path() / "applied.sbx",
           fragment = dir.path() / "learned.sbx";
  // `body`: the task's statements; the applied policy is the same task using the learned profile.
  explicit Learning(const std::string& body) {
    fs::create_directories(workspace);
    fs::permissions(dir.path(), fs::perms::all | fs::perms::sticky_bit);
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
    writeText(policy, fmt::format("import std.programs\ntask t {{\n{}\n}}\n", body));
    writeText(applied, fmt::format("import std.programs\nimport \"learned.sbx\" as learned\ntask t {{\n  use "
                                   "learned.learned_t\n{}\n}}\n",
                                   body));
  }
  Run sbxRun(const std::vector<std::string>& options, const fs::path& file,
             const std::vector<std::string>& command) const {
    std::vector<std::string> argv = {SBX_RUN_BINARY, "--workspace", workspace.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(file.string());
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
    return run(argv, "", dir.path().string(),
               {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + (dir.path() / "cache").string()});
  }
  // Learns, checks the fragment, applies it; returns the fragment.
  std::string learnAndApply(const std::vector<std::string>& command) const {
    Run enforced = sbxRun({}, policy, command);
    INFO("enforced: " << enforced.out << enforced.err);
    CHECK(enforced.err.find("sbx-run: blocked") != std::string::npos);

    Run learning = sbxRun({"--learn", fragment.string()}, policy, command);
    INFO("learning: " << learning.out << learning.err);
    CHECK(learning.exitCode == 0);
    CHECK(learning.err.find("sbx-run: blocked") == std::string::npos);
    CHECK(learning.err.find("    import \"learned.sbx\" as learned\n") != std::string::npos);
    CHECK(learning.err.find("    use learned.learned_t\n") != std::string::npos);
    REQUIRE(fs::exists(fragment));
    std::string text = readText(fragment);
    INFO("fragment:\n" << text);
    CHECK(text.find("# Learned by `sbx-run --learn` for task t") != std::string::npos);
    Run check = run({SBXC_BINARY, "check", fragment.string()});
    INFO("check: " << check.out << check.err);
    CHECK(check.exitCode == 0);

    Run again = sbxRun({}, applied, command);
    INFO("applied: " << again.out << again.err);
    CHECK(again.exitCode == 0);
    CHECK(again.err.find("sbx-run: blocked") == std::string::npos);
    return text;
  }
};

}  // namespace

TEST_CASE("learn: python3 opening a socket its policy denies") {
  Learning l("  use programs.python3\n  write workspace\n  timeout 30s\n  syscalls { default errno EPERM }");
  std::string text = l.learnAndApply(
      {"/usr/bin/python3", "-c", "import socket\nsocket.socket(socket.AF_UNIX).close()\nprint('made a socket')"});
  CHECK(text.find("    allow socket\n") != std::string::npos);
}

TEST_CASE("learn: a kill rule's call runs while learning, and is learned") {
  Learning l(
      "  use programs.python3\n  write workspace\n  timeout 30s\n  syscalls { default errno EPERM\n  kill "
      "getppid }");
  fs::path audit = l.dir.path() / "audit.jsonl";
  Run r = l.sbxRun({"--learn", l.fragment.string(), "--audit", audit.string()}, l.policy,
                   {"/usr/bin/python3", "-c", "import os\nprint(os.getppid())"});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "1\n");  // the payload's parent: the sandbox's init
  CHECK(r.err.find("denied by the rule 'kill getppid'; not killed while learning") != std::string::npos);
  CHECK(readText(l.fragment).find("    allow getppid\n") != std::string::npos);
  CHECK(readText(audit).find(R"("event":"learning","enforced":false)") != std::string::npos);
  Run enforced = l.sbxRun({}, l.policy, {"/usr/bin/python3", "-c", "import os\nprint(os.getppid())"});
  CHECK(enforced.exitCode == 159);
}

TEST_CASE("learn: git init under a policy that allows almost no syscalls") {
  // Not programs.git, which allows what git needs: only what starts a program and ends it.
  Learning l(R"(  read "/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "/etc/passwd", "/etc/group"
  scratch "/tmp" size 64MiB
  env PATH = "/usr/bin:/bin", HOME = "/workspace", GIT_CONFIG_NOSYSTEM = "1"
  write workspace
  timeout 30s
  syscalls {
    default errno EPERM
    allow execve, close, write, exit_group, exit
  })");
  std::string text = l.learnAndApply({"/usr/bin/git", "init", "-q", "/workspace/repo"});
  CHECK(text.find("    allow openat\n") != std::string::npos);
  CHECK(text.find("    allow mkdir") != std::string::npos);
  CHECK(fs::is_directory(l.workspace / "repo" / ".git"));
}

TEST_CASE("learn: curl to a loopback server the policy does not allow") {
  HttpServer server(28150);
  Learning l("  use programs.curl\n  write workspace\n  timeout 30s\n  syscalls { default errno EPERM }");
  std::string text = l.learnAndApply({"/usr/bin/curl", "-sS", "--fail", "http://127.0.0.1:28150/"});
  CHECK(text.find("  connect \"127.0.0.1:28150\"\n") != std::string::npos);
  CHECK(server.served() == 2);  // learning, then applied; the enforced run never reached it
}

TEST_CASE("learn: refused for a task that holds a secret, and it says so") {
  Learning l(R"(  use programs.python3
  timeout 30s
  identity spiffe "spiffe://test.example/learn"
  limits { memory 256MiB  pids 32 }
  secret api_token {
    source "broker://test/api"
    scope "read"
    audience "api.test.example"
    ttl 30s
    expose file
  })");
  Run r = l.sbxRun({"--learn", l.fragment.string()}, l.policy, {"/usr/bin/python3", "-c", "print(1)"});
  CHECK(r.exitCode == 125);
  CHECK(r.err.find("--learn is never available to a task that holds secrets or tokens, and task t does") !=
        std::string::npos);
  CHECK(!fs::exists(l.fragment));
}

TEST_CASE("learn: the fragment is sorted and deduplicated, its comments printable, and an empty one checks") {
  sbx::run::PolicyLearner first, second;
  first.syscall("socket");
  first.syscall("connect");
  first.syscall("socket");
  first.destination("b.example:443");
  first.destination("127.0.0.1:8080");
  first.note("ptrace (syscall 101): denied by the T1 baseline");
  second.note("ptrace (syscall 101): denied by the T1 baseline");
  second.destination("127.0.0.1:8080");
  second.syscall("connect");
  second.destination("b.example:443");
  second.syscall("socket");
  std::vector<std::string> command = {"/usr/bin/python3", "-c", "print('a')\nprint(\"\xe2\x80\x8b\")"};
  std::string text = first.fragment("t", command);
  CHECK(text == second.fragment("t", command));
  CHECK(text.find("#   /usr/bin/python3 -c 'print('\\''a'\\'')?print(\"???\")'\n") != std::string::npos);
  CHECK(
      text.ends_with("# not learned: ptrace (syscall 101): denied by the T1 baseline\n"
                     "profile learned_t {\n"
                     "  syscalls {\n"
                     "    allow connect\n"
                     "    allow socket\n"
                     "  }\n"
                     "  connect \"127.0.0.1:8080\"\n"
                     "  connect \"b.example:443\"\n"
                     "}\n"));
  CHECK(sbx::run::PolicyLearner::profileName("ns.my-task") == "learned_ns_my_task");

  TempDir dir;
  sbx::run::PolicyLearner empty;
  for (const auto* learner : {&first, &empty}) {
    fs::path file = dir.path() / (learner == &empty ? "empty.sbx" : "full.sbx");
    std::string error;
    REQUIRE(sbx::run::writeLearnedPolicy(*learner, file.string(), "t", command, error));
    Run check = run({SBXC_BINARY, "check", file.string()});
    INFO(readText(file) << check.out << check.err);
    CHECK(check.exitCode == 0);
  }
}
