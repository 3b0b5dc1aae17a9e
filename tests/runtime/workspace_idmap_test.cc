// Root with a root-owned workspace (runtime/workspace_idmap.h): the payload, which never runs as
// root, writes there through an ID-mapped mount, and what it creates is the owner's on the host;
// where the workspace's filesystem cannot be ID-mapped, sbx-run refuses before starting and says
// how to fix it.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "support/paths.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

Run launch(const TempDir& dir, const std::string& workspace, const std::vector<std::string>& command) {
  std::vector<std::string> argv{SBX_RUN_BINARY, "--workspace", workspace,
                                (sourceDir() / "examples/contained.sbx").string(), "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  return run(argv, "", "", {"SBX_RUN_CACHE=" + (dir.path() / "cache").string(), "PATH=/usr/bin:/bin"});
}

}  // namespace

TEST_CASE("workspace: run by root, a root-owned workspace is the payload's inside and its files stay root's") {
  if (geteuid() != 0) return skipTest("needs root: the case is root with a root-owned workspace");
  TempDir dir;
  fs::path workspace = dir.path() / "ws";
  fs::create_directories(workspace);
  fs::permissions(workspace, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
  writeText(workspace / "given", "from the host\n");
  Run r = launch(dir, workspace.string(),
                 {"/bin/sh", "-c",
                  "id -u; id -g; stat -c '%u %g' /workspace /workspace/given; cat /workspace/given; "
                  "echo made > /workspace/made; mkdir /workspace/sub"});
  INFO(r.out << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.out == "65534\n65534\n65534 65534\n65534 65534\nfrom the host\n");
  struct stat made {
  }, sub{};
  REQUIRE(stat((workspace / "made").c_str(), &made) == 0);
  REQUIRE(stat((workspace / "sub").c_str(), &sub) == 0);
  CHECK(made.st_uid == 0);
  CHECK(made.st_gid == 0);
  CHECK(sub.st_uid == 0);
  CHECK(readText(workspace / "made") == "made\n");
}

TEST_CASE(
    "workspace: the payload cannot make a set-id file in a root-owned workspace, which would be root's on the host") {
  if (geteuid() != 0) return skipTest("needs root: the case is root with a root-owned workspace");
  TempDir dir;
  fs::path workspace = dir.path() / "ws";
  fs::create_directories(workspace);
  Run r = launch(dir, workspace.string(),
                 {"/bin/sh", "-c",
                  "cp /bin/true /workspace/t; chmod 4755 /workspace/t || echo no-setuid; chmod 2755 /workspace/t || "
                  "echo no-setgid; python3 -c 'import os; os.open(\"/workspace/u\", os.O_CREAT | os.O_WRONLY, 0o4755)' "
                  "2>/dev/null || echo no-setuid-open; chmod 755 /workspace/t && echo plain-mode"});
  INFO(r.out << r.err);
  CHECK(r.out == "no-setuid\nno-setgid\nno-setuid-open\nplain-mode\n");
  for (const auto& entry : fs::directory_iterator(workspace)) {
    struct stat st {};
    REQUIRE(stat(entry.path().c_str(), &st) == 0);
    CHECK((st.st_mode & (S_ISUID | S_ISGID)) == 0);
  }
  CHECK(fs::exists(workspace / "t"));
}

TEST_CASE("workspace: a root-owned workspace on a filesystem that cannot be ID-mapped is refused before starting") {
  if (geteuid() != 0) return skipTest("needs root: the case is root with a root-owned workspace");
  TempDir dir;
  Run r = launch(dir, "/sys/kernel", {"/bin/sh", "-c", "echo ran"});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 125);
  CHECK(r.out.empty());
  CHECK(r.err.find("its filesystem (sysfs) cannot be ID-mapped here") != std::string::npos);
  CHECK(r.err.find("give the workspace to an unprivileged owner (chown -R 65534:65534 /sys/kernel") !=
        std::string::npos);
}
