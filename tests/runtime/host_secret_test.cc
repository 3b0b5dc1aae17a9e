// A secret declared with `source file` (a static credential of the host): sbx-run copies the host
// file, read by descriptor, onto the private secrets tmpfs, 0400 and the payload's, like a minted
// token; refuses the run when a symbolic link is anywhere on the declared path (it follows none);
// and names the file in the audit log, never its contents.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

struct HostSecretRun {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", state = dir.path() / "state", audit = dir.path() / "audit.jsonl";
  fs::path key = dir.path() / "deploy_key";
  HostSecretRun() {
    fs::create_directories(workspace);
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
    writeText(key, "static-deploy-key-7f3a\n");
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  }
  fs::path policy(const fs::path& source) const {
    fs::path file = dir.path() / "host-secret.sbx";
    writeText(file, R"(import std.programs
task t {
  identity spiffe "spiffe://sbx.local/test/host-secret"
  use programs.shell
  write workspace
  timeout 1m
  @suppress(long-lived-credential, reason "the test's static key")
  @suppress(unscoped-token, reason "the test's shell reads it")
  secret deploy_key {
    source file ")" + source.string() +
                        R"("
    expose file "/run/secrets/deploy_key"
  }
  syscalls {
    default errno EPERM
  }
  limits { memory 256MiB  pids 64 }
}
)");
    return file;
  }
  Run launch(const fs::path& policyFile, const std::string& script) const {
    return run(
        {SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(), policyFile.string(), "--",
         "/bin/sh", "-c", script},
        "", "",
        {"SBX_RUN_CACHE=" + (dir.path() / "cache").string(), "SBX_STATE_DIR=" + state.string(), "PATH=/usr/bin:/bin"});
  }
};

}  // namespace

TEST_CASE("host secret: a source file is delivered 0400 on the secrets tmpfs, its contents never audited") {
  HostSecretRun h;
  Run r = h.launch(h.policy(h.key),
                   "stat -c '%a %U' /run/secrets/deploy_key; cat /run/secrets/deploy_key; "
                   "echo x > /run/secrets/deploy_key 2>/dev/null || echo read-only");
  INFO(r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out == "400 nobody\nstatic-deploy-key-7f3a\nread-only\n");
  std::string audit = readText(h.audit);
  CHECK(audit.find("host-secret-delivered") != std::string::npos);
  CHECK(audit.find("static-deploy-key-7f3a") == std::string::npos);
}

TEST_CASE("host secret: a symbolic link on the declared path refuses the run") {
  HostSecretRun h;
  fs::path link = h.dir.path() / "key-link";
  fs::create_symlink(h.key, link);
  Run r = h.launch(h.policy(link), "cat /run/secrets/deploy_key");
  CHECK(r.exitCode != 0);
  CHECK(r.out.find("static-deploy-key-7f3a") == std::string::npos);
  CHECK(r.err.find("symbolic link") != std::string::npos);
  // A link in a directory above the file is refused the same way.
  fs::path dirLink = h.dir.path() / "keys";
  fs::create_directory_symlink(h.dir.path(), dirLink);
  Run above = h.launch(h.policy(dirLink / "deploy_key"), "cat /run/secrets/deploy_key");
  CHECK(above.exitCode != 0);
  CHECK(above.err.find("symbolic link") != std::string::npos);
}
