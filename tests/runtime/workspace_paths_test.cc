// Issue 17, points 6 and 10: a path inside the workspace (`exec workspace "bin"`) and an
// executable pinned to its digest, under sbx-run on the real kernel. In a writable (noexec)
// workspace, a program in workspace/bin runs and one in workspace/other does not; a link inside
// the workspace widens nothing (a link at the granted path is refused, one inside it resolves in
// the sandbox, to what the sandbox already shows); a pinned program whose file has that digest
// runs, one whose file differs is refused before anything starts, naming path and both digests.
// Each case runs as root and as nobody.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "support/escape_suite.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

constexpr const char* kReads = R"(read "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache")";

struct WorkspaceRun {
  EscapeScratch s;
  fs::path policy;
  explicit WorkspaceRun(const Mode& mode, const std::string& grants)
      : s(mode.name == "nobody"), policy(s.dir.path() / "paths.sbx") {
    writeText(policy, fmt::format("task t {{\n  {}\n{}\n  timeout 20s\n}}\n", kReads, grants));
    if (mode.name == "nobody" && chown(policy.c_str(), 65534, 65534) != 0) FAIL("chown");
  }
  // A script at `relative` in the workspace, owned by the payload's user like the agent's files.
  void script(const fs::path& relative, const std::string& says) const {
    fs::create_directories((s.workspace / relative).parent_path());
    writeText(s.workspace / relative, "#!/bin/sh\necho " + says + "\n");
    fs::permissions(s.workspace / relative, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec |
                                                fs::perms::group_read | fs::perms::others_read);
    own(s.workspace);
  }
  void own(const fs::path& path) const {
    if (geteuid() != 0) return;
    for (const auto& e : fs::recursive_directory_iterator(path))
      if (lchown(e.path().c_str(), 65534, 65534) != 0) FAIL("lchown " << e.path());
  }
  Run sbxRun(const Mode& mode, const std::string& command) const {
    std::vector<std::string> argv = mode.prefix;
    argv.insert(argv.end(),
                {"/usr/bin/timeout", "-s", "KILL", "60", "/usr/bin/env", "SBX_RUN_CACHE=" + s.cache.string(),
                 SBX_RUN_BINARY, "--workspace", s.workspace.string(), policy.string(), "--", "/bin/sh", "-c", command});
    return run(argv, "", s.dir.path().string(), {"PATH=/usr/bin:/bin"});
  }
};

std::string sha256File(const fs::path& path) {
  Run r = run({"/usr/bin/sha256sum", path.string()});
  REQUIRE(r.exitCode == 0);
  return r.out.substr(0, 64);
}

// A copy of /bin/echo outside /tmp (sbx-run stages the new root over it), readable by nobody.
struct PinnedProgram {
  fs::path dir, program;
  PinnedProgram() {
    char name[] = "/var/tmp/sbx-pin-XXXXXX";
    if (!mkdtemp(name)) FAIL("mkdtemp");
    dir = name;
    fs::permissions(dir, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                             fs::perms::group_read | fs::perms::group_exec);
    program = dir / "echo";
    fs::copy_file("/bin/echo", program);
  }
  ~PinnedProgram() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  PinnedProgram(const PinnedProgram&) = delete;
  PinnedProgram& operator=(const PinnedProgram&) = delete;
};

}  // namespace

TEST_CASE("sbx-run: exec workspace \"bin\" runs programs there, and nothing elsewhere in the writable workspace") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    WorkspaceRun w(mode, "  write workspace\n  exec workspace \"bin\"");
    w.script("bin/hello", "bin-ran");
    w.script("other/hello", "other-ran");
    // A link inside bin to the noexec part of the workspace: resolved in the sandbox, it is still noexec.
    fs::create_symlink("../other/hello", w.s.workspace / "bin/via-link");
    w.own(w.s.workspace);
    Run r = w.sbxRun(mode,
                     "/workspace/bin/hello; /workspace/other/hello; echo other=$?; /workspace/bin/via-link; "
                     "echo link=$?; echo x > /workspace/bin/new; echo write-bin=$?; echo y > /workspace/out; "
                     "echo write-ws=$?");
    INFO(r.out << r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(r.out.find("bin-ran") != std::string::npos);
    CHECK(r.out.find("other-ran") == std::string::npos);
    CHECK(r.out.find("other=126") != std::string::npos);  // noexec: permission denied
    CHECK(r.out.find("link=126") != std::string::npos);
    CHECK(r.out.find("write-bin=0") == std::string::npos);  // bin is granted exec, not write
    CHECK(r.out.find("write-ws=0") != std::string::npos);
    CHECK_FALSE(fs::exists(w.s.workspace / "bin/new"));
  }
}

TEST_CASE("sbx-run: a symbolic link at a workspace path is refused, whatever it points to") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    for (const char* target : {"/usr/bin", "other", "../.."}) {
      CAPTURE(target);
      WorkspaceRun w(mode, "  read workspace\n  exec workspace \"bin\"");
      w.script("other/hello", "other-ran");
      fs::create_symlink(target, w.s.workspace / "bin");
      w.own(w.s.workspace);
      Run r = w.sbxRun(mode, "/workspace/bin/hello; echo ran=$?");
      INFO(r.out << r.err);
      CHECK(r.exitCode == 125);
      CHECK(r.out.find("other-ran") == std::string::npos);
      CHECK(r.err.find("symbolic link") != std::string::npos);
      CHECK(r.err.find("workspace \"bin\"") != std::string::npos);
    }
  }
}

TEST_CASE("sbx-run: a path inside the workspace that is missing is refused, naming it") {
  WorkspaceRun w(kModes[0], "  read workspace \"docs\"");
  Run r = w.sbxRun(kModes[0], "true");
  INFO(r.out << r.err);
  CHECK(r.exitCode == 125);
  CHECK(r.err.find("workspace \"docs\"") != std::string::npos);
}

TEST_CASE("sbx-run: a pinned executable launches when its digest matches and is refused when it does not") {
  PinnedProgram p;
  std::string actual = sha256File(p.program);
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    {
      WorkspaceRun w(mode, fmt::format("  exec \"{}\" sha256 \"{}\"", p.program.string(), actual));
      Run r = w.sbxRun(mode, p.program.string() + " pinned-ran");
      INFO(r.out << r.err);
      CHECK(r.exitCode == 0);
      CHECK(r.out.find("pinned-ran") != std::string::npos);
    }
    {
      std::string expected(64, 'a');
      WorkspaceRun w(mode, fmt::format("  exec \"{}\" sha256 \"{}\"", p.program.string(), expected));
      Run r = w.sbxRun(mode, p.program.string() + " pinned-ran");
      INFO(r.out << r.err);
      CHECK(r.exitCode == 125);
      CHECK(r.out.find("pinned-ran") == std::string::npos);
      CHECK(r.err.find(p.program.string()) != std::string::npos);
      CHECK(r.err.find(expected) != std::string::npos);
      CHECK(r.err.find(actual) != std::string::npos);
    }
  }
}
