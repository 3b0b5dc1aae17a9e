// Issue 15, point 1: an agent prepares the workspace for the next run. sbx-run's init creates
// the mount points of masks and scratch paths inside the workspace before pivot_root, as root on
// the host when sbx-run runs as root: a symbolic link left at a masked path or on the way to a
// scratch path must not make it create anything outside the workspace, and a FIFO at a masked
// path must not hang it. Each attack runs as root and as nobody, bounded by a timeout.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "support/escape_suite.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// examples/contained.sbx's reads, a mask and a scratch path inside the workspace.
constexpr const char* kPolicy = R"(task t {
  read "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache"
  write workspace
  mask "/workspace/.env"
  scratch "/workspace/build/tmp" size 1MiB
  timeout 10s
}
)";

// The host directory the planted links name: outside the workspace and outside /tmp (init
// stages the new root on a tmpfs over /tmp, which would hide a target there), writable by anyone
// so that only sbx-run's resolution keeps init (root or nobody) from creating in it.
struct OutsideDir {
  fs::path path;
  OutsideDir() {
    char name[] = "/var/tmp/sbx-attack-XXXXXX";
    if (!mkdtemp(name)) FAIL("mkdtemp");
    path = name;
    fs::permissions(path, fs::perms::all);
  }
  ~OutsideDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  OutsideDir(const OutsideDir&) = delete;
  OutsideDir& operator=(const OutsideDir&) = delete;
};

struct AttackScratch {
  EscapeScratch s;
  OutsideDir outsideDir;
  fs::path policy, outside;
  explicit AttackScratch(const Mode& mode)
      : s(mode.name == "nobody"), policy(s.dir.path() / "attack.sbx"), outside(outsideDir.path) {
    writeText(policy, kPolicy);
  }
  // Plants `name` in the workspace, owned by the payload's user like anything the agent leaves.
  void own(const fs::path& path) const {
    if (geteuid() == 0 && lchown(path.c_str(), 65534, 65534) != 0) FAIL("lchown " << path);
  }
};

// sbx-run with the attack policy, killed after 30 s (set-up hanging is a failure, not a wait).
Run sbxRun(const Mode& mode, const AttackScratch& a, const std::string& script) {
  std::vector<std::string> argv = mode.prefix;
  argv.insert(argv.end(), {"/usr/bin/timeout", "-s", "KILL", "30", "/usr/bin/env",
                           "SBX_RUN_CACHE=" + a.s.cache.string(), SBX_RUN_BINARY, "--workspace", a.s.workspace.string(),
                           a.policy.string(), "--", "/bin/sh", "-c", script});
  return run(argv, "", a.s.dir.path().string(), {"PATH=/usr/bin:/bin"});
}

// sbx-run as above, with its audit log at `audit` (where the user keeps it: in the workspace).
Run sbxRunAudited(const Mode& mode, const AttackScratch& a, const fs::path& audit) {
  std::vector<std::string> argv = mode.prefix;
  argv.insert(argv.end(), {"/usr/bin/timeout", "-s", "KILL", "30", "/usr/bin/env",
                           "SBX_RUN_CACHE=" + a.s.cache.string(), SBX_RUN_BINARY, "--workspace", a.s.workspace.string(),
                           "--audit", audit.string(), a.policy.string(), "--", "/bin/true"});
  return run(argv, "", a.s.dir.path().string(), {"PATH=/usr/bin:/bin"});
}

// Refused with the path and the reason, or done safely: never killed by the timeout.
void checkRefusedOrSafe(const Run& r, const std::string& path) {
  INFO("exit " << r.exitCode << ": " << r.out << r.err);
  CHECK(r.exitCode != -1);
  CHECK((r.exitCode == 0 || (r.exitCode == 125 && r.err.find(path) != std::string::npos &&
                             r.err.find("symbolic link") != std::string::npos)));
}

}  // namespace

TEST_CASE("sbx-run: a symlink left at a masked workspace path creates nothing outside, as root and as nobody") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    AttackScratch a(mode);
    fs::path pwned = a.outside / "PWNED";
    // The first run plants the link; .env does not exist yet, so its mask hides nothing.
    Run plant = sbxRun(mode, a, fmt::format("ln -sfn {} /workspace/.env", pwned.string()));
    REQUIRE(plant.exitCode == 0);
    REQUIRE(fs::is_symlink(a.s.workspace / ".env"));
    Run next = sbxRun(mode, a, "cat /workspace/.env");
    checkRefusedOrSafe(next, "/workspace/.env");
    CHECK_FALSE(fs::exists(fs::symlink_status(pwned)));
  }
}

TEST_CASE(
    "sbx-run: a symlinked parent of a scratch path in the workspace creates nothing outside, as root and as nobody") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    AttackScratch a(mode);
    fs::create_directory_symlink(a.outside, a.s.workspace / "build");
    a.own(a.s.workspace / "build");
    Run r = sbxRun(mode, a, "true");
    checkRefusedOrSafe(r, "/workspace/build/tmp");
    CHECK_FALSE(fs::exists(fs::symlink_status(a.outside / "tmp")));
  }
}

TEST_CASE("sbx-run: a FIFO at a masked workspace path is masked without hanging, as root and as nobody") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    AttackScratch a(mode);
    fs::path fifo = a.s.workspace / ".env";
    REQUIRE(mkfifo(fifo.c_str(), 0666) == 0);
    a.own(fifo);
    Run r = sbxRun(mode, a, "cat /workspace/.env; echo done");
    INFO("exit " << r.exitCode << ": " << r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "done\n");  // /dev/null over it: nothing to read, nothing blocks
  }
}

// Nested grants still work, and what set-up creates inside the workspace is the payload's: the
// agent can remove it in its next run (root owned it before).
TEST_CASE("sbx-run: mount points created inside the workspace belong to the payload, as root and as nobody") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    AttackScratch a(mode);
    Run r =
        sbxRun(mode, a, "echo x > /workspace/build/tmp/f && cat /workspace/build/tmp/f && test ! -e /workspace/.env");
    INFO("exit " << r.exitCode << ": " << r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "x\n");
    struct stat st {};
    REQUIRE(lstat((a.s.workspace / "build/tmp").c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK(st.st_uid == (geteuid() == 0 ? 65534u : geteuid()));
    CHECK_FALSE(fs::exists(a.s.workspace / "build/tmp/f"));  // it was on the scratch tmpfs
  }
}

// A mask covers a name. An agent that links a file of its own to the masked name while the mask
// hides nothing (the file is not there yet), then waits for the user to write the secret into
// that file in place (`echo KEY=... > .env`), reads it through the other name in its next run.
TEST_CASE("sbx-run: a hard link left to a masked workspace file does not show what it hides, as root and as nobody") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    AttackScratch a(mode);
    Run plant = sbxRun(mode, a, "echo template > /workspace/env.example && ln /workspace/env.example /workspace/.env");
    REQUIRE(plant.exitCode == 0);
    REQUIRE(fs::hard_link_count(a.s.workspace / ".env") == 2);
    {
      std::ofstream user(a.s.workspace / ".env", std::ios::trunc);  // in place: the same file
      user << "KEY=hunter2\n";
    }
    REQUIRE(readText(a.s.workspace / "env.example") == "KEY=hunter2\n");  // the control: one file
    Run next = sbxRun(mode, a, "cat /workspace/.env /workspace/env.example");
    INFO("exit " << next.exitCode << ": " << next.out << next.err);
    CHECK(next.out.find("hunter2") == std::string::npos);
    CHECK(next.exitCode == 125);
    CHECK(next.err.find("mask /workspace/.env: the file has 2 names (hard links)") != std::string::npos);
  }
}

// The audit log where the user keeps it, beside the work: the agent's previous run (or another
// local user, in /tmp) plants a FIFO there, which held sbx-run in open() before any timeout ran,
// or a file of its own, which it could read and rewrite. Both refused, at once.
TEST_CASE("sbx-run: an audit log planted at the audit path is refused without hanging, as root and as nobody") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    AttackScratch a(mode);
    fs::path fifo = a.s.workspace / "audit.jsonl";
    REQUIRE(mkfifo(fifo.c_str(), 0666) == 0);
    a.own(fifo);
    Run r = sbxRunAudited(mode, a, fifo);
    INFO("exit " << r.exitCode << ": " << r.out << r.err);
    CHECK(r.exitCode == 125);
    CHECK(r.err.find("audit log " + fifo.string()) != std::string::npos);

    // Someone else's file: the agent's when sbx-run runs as root, root's when it runs as nobody.
    fs::path planted = a.s.workspace / "planted.jsonl";
    writeText(planted, "");
    fs::permissions(planted,
                    fs::perms::all & ~fs::perms::owner_exec & ~fs::perms::group_exec & ~fs::perms::others_exec);
    uid_t other = mode.name == "nobody" ? 0 : 65534;
    if (geteuid() == 0 && chown(planted.c_str(), other, other) != 0) FAIL("chown");
    Run p = sbxRunAudited(mode, a, planted);
    INFO("exit " << p.exitCode << ": " << p.out << p.err);
    if (geteuid() == 0) {
      CHECK(p.exitCode == 125);
      CHECK(p.err.find(fmt::format("refusing the audit log {}: it belongs to uid {}", planted.string(), other)) !=
            std::string::npos);
      CHECK(readText(planted).empty());
    }
    // The control: a log of the user's own is written.
    Run own = sbxRunAudited(mode, a, a.s.dir.path() / "own.jsonl");
    INFO("exit " << own.exitCode << ": " << own.out << own.err);
    CHECK(own.exitCode == 0);
    CHECK(readText(a.s.dir.path() / "own.jsonl").find("\"event\":\"exit\"") != std::string::npos);
  }
}
