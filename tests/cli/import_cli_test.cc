// `sbxc import docker-seccomp` from the command line: the policy on stdout (or -o, atomically),
// notes on stderr, a located error and exit 2 for a broken profile, and a result that compiles.
#include <doctest/doctest.h>

#include "support/paths.h"
#include "support/process.h"

using namespace sbx::test;

TEST_CASE("import docker-seccomp: stdout, notes, -o, and the result compiles") {
  std::string profile = (sourceDir() / "examples/import/docker-default-seccomp.json").string();
  Run r = sbxc({"import", "docker-seccomp", profile});
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("baseline off") != std::string::npos);
  CHECK(r.out.find("allow socket if arg0 < 38") != std::string::npos);
  CHECK(r.err.find("note: left out, as the rule needs CAP_SYS_ADMIN in the capability set") != std::string::npos);

  TempDir dir;
  std::string file = (dir.path() / "docker.sbx").string();
  REQUIRE(sbxc({"import", "docker-seccomp", "--widths", "libseccomp", "-o", file, profile}).exitCode == 0);
  CHECK(readText(file).find("allow socket if arg0:64 < 38") != std::string::npos);
  Run compiled = sbxc({"compile", file, "-o", (dir.path() / "out").string()});
  INFO(compiled.err);
  CHECK(compiled.exitCode == 0);
  Run checked = sbxc({"check", "--fail-level", "warning", file});
  CHECK(checked.exitCode == 1);
  CHECK(checked.err.find("with the baseline on, from T1 on, ioctl TIOCSTI, TIOCLINUX and TIOCSETD would be denied") !=
        std::string::npos);
}

TEST_CASE("import docker-seccomp: a broken profile exits 2 with a location and writes nothing") {
  TempDir dir;
  writeText(dir.path() / "bad.json", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [,]\n}\n");
  std::string out = (dir.path() / "out.sbx").string();
  Run r = sbxc({"import", "docker-seccomp", "-o", out, (dir.path() / "bad.json").string()});
  CHECK(r.exitCode == 2);
  CHECK(r.err.find("bad.json:3:16: invalid JSON") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK(sbxc({"import", "docker-seccomp", (dir.path() / "missing.json").string()}).exitCode == 3);
  CHECK(sbxc({"import", "oci-bundle", "x.json"}).exitCode == 3);
}
