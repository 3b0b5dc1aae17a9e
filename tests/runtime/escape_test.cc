// The escape suite: every attempt of escapes.py runs under sbx-run with examples/contained.sbx
// and, as a control, outside it, as root and as an unprivileged user (nobody). Inside, every
// attempt must fail; an attempt that fails outside as well proves nothing and is reported as not
// applicable. A minimum number of applicable attempts keeps the suite from passing vacuously.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

struct Mode {
  std::string name;
  std::vector<std::string> prefix;  // how to become the user
};

const Mode kModes[] = {{"root", {}},
                       {"nobody", {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}}};

// A TCP listener on the host's loopback, for the host-loopback attempt.
struct Listener {
  int fd = -1, port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd, 16);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { close(fd); }
};

// A directory the mode's user owns: the workspace (with escapes.py) and the compile cache.
struct Scratch {
  TempDir dir;
  fs::path workspace, cache;
  explicit Scratch(bool nobody) : workspace(dir.path() / "ws"), cache(dir.path() / "cache") {
    fs::create_directories(workspace);
    fs::create_directories(cache);
    fs::copy_file(sourceDir() / "tests/runtime/escapes.py", workspace / "escapes.py");
    fs::permissions(dir.path(), fs::perms::all);
    // Run as root, sbx-run runs the payload as the workspace's owner (never root): nobody here.
    if (geteuid() == 0)
      if (chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown " << workspace);
    if (nobody)
      for (const auto& p : {dir.path(), cache, workspace / "escapes.py"})
        if (chown(p.c_str(), 65534, 65534) != 0) FAIL("chown " << p);
  }
};

Run attempt(const Mode& mode, const Scratch& s, const std::string& name, const std::string& arg, bool inside) {
  std::string python =
      inside ? "/usr/bin/python3 /workspace/escapes.py" : "/usr/bin/python3 " + (s.workspace / "escapes.py").string();
  std::string command = fmt::format("{} {} {}", python, name, arg);
  if (inside)
    command = fmt::format("{} --workspace {} {} -- {}", SBX_RUN_BINARY, s.workspace.string(),
                          (sourceDir() / "examples/contained.sbx").string(), command);
  // fd 7 stays open across exec: the inherited-descriptor attempt looks for it.
  std::string shell =
      fmt::format("exec 7</etc/hostname; SBX_ESCAPE_CANARY=1 SBX_RUN_CACHE={} exec {}", s.cache.string(), command);
  std::vector<std::string> argv = mode.prefix;
  argv.insert(argv.end(), {"/bin/sh", "-c", shell});
  return run(argv, "", s.dir.path().string(), {"PATH=/usr/bin:/bin"});
}

}  // namespace

TEST_CASE("escape suite: every attempt is blocked inside sbx-run, as root and as nobody") {
  const std::vector<std::string> names = {"read-host-file",
                                          "read-proc-1-root",
                                          "write-read-only",
                                          "remount-rw",
                                          "mount",
                                          "unshare",
                                          "setns",
                                          "chroot",
                                          "ptrace",
                                          "bpf",
                                          "add_key",
                                          "perf_event_open",
                                          "userfaultfd",
                                          "io_uring_setup",
                                          "x32-syscall",
                                          "i386-int80",
                                          "tiocsti",
                                          "tiocsti-high-bits",
                                          "tioclinux",
                                          "raw-socket",
                                          "netlink-socket",
                                          "dev-mem",
                                          "dev-kmsg",
                                          "sysrq-trigger",
                                          "capabilities",
                                          "no-new-privs",
                                          "fork-bomb",
                                          "memory-bomb",
                                          "host-environment",
                                          "inherited-fd",
                                          "host-loopback"};
  Listener listener;
  for (const auto& mode : kModes) {
    Scratch scratch(mode.name == "nobody");
    int applicable = 0;
    for (const auto& name : names) {
      std::string arg = name == "inherited-fd" ? "7" : name == "host-loopback" ? std::to_string(listener.port) : "";
      Run control = attempt(mode, scratch, name, arg, false);
      Run inside = attempt(mode, scratch, name, arg, true);
      INFO(mode.name << " " << name << "\ncontrol: " << control.out << control.err << "\ninside (exit "
                     << inside.exitCode << "): " << inside.out << inside.err);
      CHECK(inside.out.find("ESCAPED") == std::string::npos);
      // Blocked: a BLOCKED verdict, or the payload killed (by seccomp: SIGSYS, exit 159).
      CHECK((inside.out.starts_with("BLOCKED") || inside.exitCode > 128));
      if (control.out.starts_with("ESCAPED"))
        ++applicable;
      else
        MESSAGE(mode.name << ": " << name << " is not applicable (refused outside the sandbox too: " << control.out
                          << ")");
    }
    MESSAGE(mode.name << ": " << applicable << " of " << names.size() << " attempts applicable");
    fmt::print(stderr, "escape suite as {}: {} of {} attempts applicable, all blocked inside\n", mode.name, applicable,
               names.size());
    CHECK(applicable >= (mode.name == "root" ? 20 : 12));
  }
}

TEST_CASE("sbx-run: hello as root and as nobody, exit status passes through") {
  for (const auto& mode : kModes) {
    Scratch s(mode.name == "nobody");
    auto sbxRun = [&](const std::string& script) {
      std::vector<std::string> argv = mode.prefix;
      argv.insert(argv.end(), {"/usr/bin/env", "SBX_RUN_CACHE=" + s.cache.string(), SBX_RUN_BINARY, "--workspace",
                               s.workspace.string(), (sourceDir() / "examples/contained.sbx").string(), "--", "/bin/sh",
                               "-c", script});
      return run(argv, "", s.dir.path().string(), {"PATH=/usr/bin:/bin"});
    };
    CAPTURE(mode.name);
    Run hello = sbxRun("echo hello");
    CHECK(hello.exitCode == 0);
    CHECK(hello.out == "hello\n");
    Run writes = sbxRun("echo data > /workspace/out && cat /workspace/out");
    CHECK(writes.out == "data\n");
    CHECK(readText(s.workspace / "out") == "data\n");
    CHECK(sbxRun("exit 7").exitCode == 7);
    CHECK(sbxRun("kill -TERM $$").exitCode == 128 + 15);
    Run missing = sbxRun("exec /nonexistent");
    CHECK(missing.exitCode == 127);
  }
}

TEST_CASE("sbx-run: the wall-clock timeout kills the whole sandbox and is audited") {
  Scratch s(false);
  fs::path audit = s.dir.path() / "audit.jsonl";
  Run r = run({SBX_RUN_BINARY, "--workspace", s.workspace.string(), "--audit", audit.string(),
               (sourceDir() / "examples/contained.sbx").string(), "--", "/bin/sh", "-c", "sleep 60 & sleep 60"},
              "", "", {"SBX_RUN_CACHE=" + s.cache.string()});
  CHECK(r.exitCode == 124);
  CHECK(r.err.find("timeout of 10000 ms expired") != std::string::npos);
  CHECK(readText(audit).find("\"event\":\"timeout\"") != std::string::npos);
}

// The bombs of the escape suite, checked against the limits of examples/contained.sbx: they must
// stop at those limits (64 pids, 256 MiB), not merely somewhere.
TEST_CASE("sbx-run: a fork bomb stops at the pids limit, a memory bomb at the memory limit") {
  Scratch s(false);
  fs::path audit = s.dir.path() / "audit.jsonl";
  auto bomb = [&](const std::string& name) {
    Run r = run(
        {SBX_RUN_BINARY, "--workspace", s.workspace.string(), "--audit", audit.string(),
         (sourceDir() / "examples/contained.sbx").string(), "--", "/usr/bin/python3", "/workspace/escapes.py", name},
        "", "", {"SBX_RUN_CACHE=" + s.cache.string()});
    INFO(name << ": exit " << r.exitCode << ": " << r.out << r.err);
    REQUIRE(r.out.starts_with("BLOCKED -"));
    return std::stoi(r.out.substr(std::string("BLOCKED -").size()));
  };
  int children = bomb("fork-bomb");
  CHECK(children >= 48);  // init and the bomb itself count too; the rest are its children
  CHECK(children < 64);
  int mib = bomb("memory-bomb");
  CHECK(mib >= 160);  // python3 itself maps some 30-60 MiB of the 256
  CHECK(mib < 256);
  std::string log = readText(audit);
  CHECK(log.find("\"rlimit as 268435456\"") != std::string::npos);
  CHECK(log.find("\"rlimit nproc 64\"") != std::string::npos);
  bool cgroupMemory = log.find("memory.max 268435456") != std::string::npos ||
                      log.find("memory.limit_in_bytes 268435456") != std::string::npos;
  CHECK((cgroupMemory || log.find("cgroup memoryBytes: no writable cgroup controller") != std::string::npos));
}

// CPU time is the whole sandbox's where a cgroup accounts for it: four spinners share one second.
TEST_CASE("sbx-run: the sandbox's CPU time is enforced across all its processes") {
  Scratch s(false);
  fs::path audit = s.dir.path() / "audit.jsonl", policy = s.dir.path() / "cpu.sbx";
  writeText(policy, R"(import std.programs
task t {
  use programs.shell
  write workspace
  timeout 60s
  limits { cpu 1s  pids 32  memory 256MiB }
  syscalls { default errno EPERM }
}
)");
  Run r = run({SBX_RUN_BINARY, "--workspace", s.workspace.string(), "--audit", audit.string(), policy.string(), "--",
               "/bin/sh", "-c", "for i in 1 2 3 4; do (while :; do :; done) & done; wait"},
              "", "", {"SBX_RUN_CACHE=" + s.cache.string()});
  std::string log = readText(audit);
  if (log.find("cgroup cpuMs: no writable cgroup controller") != std::string::npos) {
    MESSAGE("no cgroup accounts for CPU time here: only the per-process rlimit applies");
    return;
  }
  INFO(r.err << log);
  CHECK(r.exitCode == 128 + SIGXCPU);
  CHECK(r.err.find("used its CPU time of 1000 ms") != std::string::npos);
  CHECK(log.find("\"event\":\"cpu-limit\"") != std::string::npos);
}

TEST_CASE("sbx-run: a symlink on a declared path is refused, a missing path is named") {
  TempDir dir;
  fs::create_directories(dir.path() / "real");
  fs::create_symlink(dir.path() / "real", dir.path() / "link");
  writeText(dir.path() / "p.sbx",
            fmt::format("task t {{\n  read \"{}/x\"\n  timeout 5s\n}}\n", (dir.path() / "link").string()));
  fs::create_directories(dir.path() / "real/x");
  Run r = run({SBX_RUN_BINARY, (dir.path() / "p.sbx").string(), "--", "/bin/true"}, "", "",
              {"SBX_RUN_CACHE=" + (dir.path() / "cache").string()});
  CHECK(r.exitCode == 125);
  CHECK(r.err.find("symbolic link") != std::string::npos);
  writeText(dir.path() / "q.sbx",
            fmt::format("task t {{\n  read \"{}/missing\"\n  timeout 5s\n}}\n", dir.path().string()));
  Run m = run({SBX_RUN_BINARY, (dir.path() / "q.sbx").string(), "--", "/bin/true"}, "", "",
              {"SBX_RUN_CACHE=" + (dir.path() / "cache").string()});
  CHECK(m.exitCode == 125);
  CHECK(m.err.find("/missing: no such file") != std::string::npos);
}

TEST_CASE("sbx-run: the audit log has start, mounts, limits and exit, outside the sandbox") {
  Scratch s(false);
  fs::path audit = s.dir.path() / "audit.jsonl";
  Run r = run({SBX_RUN_BINARY, "--workspace", s.workspace.string(), "--audit", audit.string(),
               (sourceDir() / "examples/contained.sbx").string(), "--", "/bin/sh", "-c", "ls /workspace >/dev/null"},
              "", "", {"SBX_RUN_CACHE=" + s.cache.string()});
  REQUIRE(r.exitCode == 0);
  std::string log = readText(audit);
  for (const char* event : {"\"event\":\"start\"", "\"tier\":1", "\"planDigest\"", "\"event\":\"mount\"",
                            "\"event\":\"limits\"", "\"event\":\"exit\""})
    CHECK(log.find(event) != std::string::npos);
}
