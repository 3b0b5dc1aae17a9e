// sbx-run's end, however it comes (docs/tokens.md, runtime/README.md): SIGTERM, SIGINT and SIGHUP
// of the launcher are forwarded to the sandbox, and the token is still revoked, the audit still
// gets `exit` and `token-revoked`, no cgroup is left; after SIGKILL of the launcher the token is
// refused all the same (its run's lock is gone) and the run's cgroup is removed at the next
// start; a set-up that blocks is bounded by the task's timeout. As root and as nobody.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "support/escape_suite.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// The task copies its token out for the test, then runs until it is signalled.
constexpr const char* kHoldToken =
    "cat /run/secrets/demo_token > /workspace/token.tmp && mv /workspace/token.tmp /workspace/token; "
    "while :; do sleep 0.05; done";

struct Launcher {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", state = dir.path() / "state", cache = dir.path() / "cache",
           audit = dir.path() / "audit.jsonl", pidFile = dir.path() / "pid";
  const Mode& mode;
  explicit Launcher(const Mode& m) : mode(m) {
    fs::create_directories(workspace);
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
    if (mode.name == "nobody" && chown(dir.path().c_str(), 65534, 65534) != 0) FAIL("chown");
  }
  // sbx-run as the mode's user; its pid (the shell execs into it) in pidFile.
  Run launch(const fs::path& policy, const std::string& script) const {
    std::vector<std::string> argv{"/bin/sh", "-c", "echo $$ > \"$0\"; exec \"$@\"", pidFile.string()};
    argv.insert(argv.end(), mode.prefix.begin(), mode.prefix.end());
    argv.insert(argv.end(), {SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(),
                             policy.string(), "--", "/bin/sh", "-c", script});
    return run(argv, "", "",
               {"SBX_RUN_CACHE=" + cache.string(), "SBX_STATE_DIR=" + state.string(), "PATH=/usr/bin:/bin"});
  }
  pid_t pid() const { return fs::exists(pidFile) ? std::stoi(readText(pidFile)) : -1; }
};

// A cgroup named after launcher `pid` in any hierarchy sbx-run uses.
bool cgroupOf(pid_t pid) {
  for (const char* h : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
                        "/sys/fs/cgroup/cpuacct"})
    if (fs::exists(fs::path(h) / fmt::format("sbx-run-{}", pid))) return true;
  return false;
}

struct Signalled {
  Run run;
  std::string token;
  Run during, after;
  pid_t pid = -1;
};

// Runs token-demo, takes its token, checks it during the run, sends `signal` to sbx-run, and
// checks the token again once sbx-run has ended.
Signalled signalDuringRun(const Launcher& l, int signal) {
  Signalled s;
  std::thread task([&] { s.run = l.launch(sourceDir() / "examples/token-demo.sbx", kHoldToken); });
  bool started = waitForFile(l.workspace / "token", 30);
  if (started) {
    s.token = readText(l.workspace / "token");
    s.during = verifyToken(l.state.string(), s.token, {"--audience", "demo.local"});
  }
  s.pid = l.pid();
  if (s.pid > 0) kill(s.pid, started ? signal : SIGKILL);
  task.join();
  if (started) s.after = verifyToken(l.state.string(), s.token);
  return s;
}

}  // namespace

TEST_CASE("lifecycle: SIGTERM, SIGINT, SIGHUP of sbx-run: forwarded; exit and revocation audited, token refused") {
  for (const Mode& mode : kModes) {
    if (!mode.prefix.empty() && geteuid() != 0) continue;
    for (int signal : {SIGTERM, SIGINT, SIGHUP}) {
      INFO(mode.name << ", " << strsignal(signal));
      Launcher l(mode);
      Signalled s = signalDuringRun(l, signal);
      INFO(s.run.err);
      REQUIRE(!s.token.empty());
      CHECK(s.during.exitCode == 0);  // the control: valid while the run lives
      CHECK(s.run.exitCode == 128 + signal);
      std::string audit = readText(l.audit);
      CHECK(audit.find(fmt::format("\"event\":\"signal\",\"signal\":{},\"forwarded\":true", signal)) !=
            std::string::npos);
      CHECK(audit.find(fmt::format("\"event\":\"exit\",\"signal\":{}", signal)) != std::string::npos);
      CHECK(audit.find("\"event\":\"token-revoked\"") != std::string::npos);
      CHECK(s.after.exitCode == 1);
      CHECK(s.after.out.starts_with("invalid: revoked"));
      CHECK(!cgroupOf(s.pid));
    }
  }
}

TEST_CASE("lifecycle: SIGKILL of sbx-run: the token is refused, and the run's cgroup goes at the next start") {
  for (const Mode& mode : kModes) {
    if (!mode.prefix.empty() && geteuid() != 0) continue;
    INFO(mode.name);
    Launcher l(mode);
    Signalled s = signalDuringRun(l, SIGKILL);
    INFO(s.run.err);
    REQUIRE(!s.token.empty());
    CHECK(s.during.exitCode == 0);
    CHECK(s.run.signal == SIGKILL);
    CHECK(readText(l.audit).find("\"event\":\"token-revoked\"") == std::string::npos);  // nothing could record it
    CHECK(s.after.exitCode == 1);
    CHECK(s.after.out.starts_with("invalid: revoked"));
    if (cgroupOf(s.pid)) {  // where sbx-run could make cgroups (root, a writable hierarchy)
      Run next = l.launch(sourceDir() / "examples/contained.sbx", "true");
      CHECK(next.exitCode == 0);
      CHECK(!cgroupOf(s.pid));
    }
  }
}

TEST_CASE("lifecycle: leftover cgroups of dead runs are removed at the next start") {
  if (geteuid() != 0) return;  // making cgroups needs root
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  // In each hierarchy where sbx-run would put contained.sbx's memory and pids limits: a run that
  // is gone, and a pid that lives but is no sbx-run (this test).
  std::vector<fs::path> planted;
  std::vector<std::string> hierarchies{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"};
  if (fs::exists("/sys/fs/cgroup/cgroup.controllers")) hierarchies.push_back("/sys/fs/cgroup");
  for (const auto& h : hierarchies)
    for (pid_t pid : {dead, getpid()}) {
      fs::path p = fs::path(h) / fmt::format("sbx-run-{}", pid);
      if (fs::exists(fs::path(h) / "cgroup.procs") && mkdir(p.c_str(), 0755) == 0) planted.push_back(p);
    }
  REQUIRE_MESSAGE(!planted.empty(), "no writable cgroup hierarchy");
  Launcher l(kModes[0]);
  Run r = l.launch(sourceDir() / "examples/contained.sbx", "true");
  INFO(r.err);
  CHECK(r.exitCode == 0);
  for (const auto& p : planted) {
    CHECK_MESSAGE(!fs::exists(p), p);
    rmdir(p.c_str());
  }
}

// A set-up step that hangs (a slow or hung filesystem under a bind; a FIFO no longer can, since
// mount points are only ever opened O_PATH) is stood for by strace delaying every move_mount of
// the sandbox's init by far more than the task's timeout: without the deadline, set-up would
// finish late and /bin/true would exit 0.
TEST_CASE("lifecycle: a set-up that hangs (every mount delayed) ends at the task's timeout") {
  if (access("/usr/bin/strace", X_OK) != 0)
    FAIL("no /usr/bin/strace to slow the set-up down: run scripts/install-deps.sh");
  for (const Mode& mode : kModes) {
    if (!mode.prefix.empty() && geteuid() != 0) continue;
    INFO(mode.name);
    Launcher l(mode);
    fs::path policy = l.dir.path() / "slow.sbx";
    writeText(policy, R"(import std.syscalls
task slow_setup {
  timeout 3s
  read "/usr", "/lib", "/lib64", "/bin"
  write workspace
  limits { memory 256MiB  pids 32 }
  syscalls {
    default errno EPERM
    allow @syscalls.default, @syscalls.basic-io, @syscalls.file-system, @syscalls.memory, @syscalls.process,
        @syscalls.signal
  }
}
)");
    auto started = std::chrono::steady_clock::now();
    // The outer bound, far above the task's: without one of its own, sbx-run waits for ever.
    std::vector<std::string> argv{"/usr/bin/timeout", "-s", "KILL", "60"};
    argv.insert(argv.end(), mode.prefix.begin(), mode.prefix.end());
    argv.insert(argv.end(), {"/usr/bin/strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=move_mount", "-e",
                             "inject=move_mount:delay_enter=10000000", SBX_RUN_BINARY, "--workspace",
                             l.workspace.string(), "--audit", l.audit.string(), policy.string(), "--", "/bin/true"});
    // LeakSanitizer cannot work under ptrace (the ASan build): leaks are checked everywhere else.
    Run r =
        run(argv, "", "", {"SBX_RUN_CACHE=" + l.cache.string(), "PATH=/usr/bin:/bin", "ASAN_OPTIONS=detect_leaks=0"});
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
    INFO(r.err);
    CHECK(seconds.count() < 45);  // strace itself stays until its 10 s delay is over
    CHECK(r.exitCode == 124);
    CHECK(r.err.find("expired during the sandbox's set-up") != std::string::npos);
    CHECK(readText(l.audit).find("\"during\":\"set-up\"") != std::string::npos);
  }
}
