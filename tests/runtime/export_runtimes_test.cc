// `sbxc compile --target oci|bwrap`, run for real: the OCI bundle validates against the runtime
// spec's schema (../shared/schemas) and runs under runc and crun, the bubblewrap script runs as
// root and as nobody; in each, the payload runs, its exit status passes through, the timeout
// kills it, and every attempt of the launcher's escape suite is blocked. A task whose tier makes
// its token mandatory cannot be exported without --allow-lossy.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/escape_suite.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;
using json = nlohmann::json;

namespace {

const fs::path kContained = sourceDir() / "examples/contained.sbx";

// Exports `policy` to `target` under `dir`; the task's directory.
fs::path exportTask(const fs::path& policy, const std::string& target, const fs::path& dir,
                    const std::string& task = "contained") {
  Run r = sbxc({"compile", policy.string(), "--target", target, "-o", dir.string()});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  return dir / task;
}

// A sandbox runner: how to start run.sh (as root or nobody, with the runtime's own set-up).
struct Runner {
  std::string label;
  std::vector<std::string> prefix;  // put before the shell that starts run.sh
  std::string options;              // run.sh's options beyond --workspace
  bool nobody = false;
};

// The hybrid cgroup layout of these machines: crun refuses it unless the unified hierarchy is
// out of sight, in a private mount namespace (the machines' notes for developers).
const std::vector<std::string> kCrunPrefix = {"/usr/bin/unshare",
                                              "--mount",
                                              "--propagation",
                                              "private",
                                              "/bin/sh",
                                              "-c",
                                              "umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$@\"",
                                              "sh"};
const std::vector<std::string>& kNobody = kModes[1].prefix;

Run runScript(const Runner& runner, const fs::path& script, const EscapeScratch& s, const std::string& command,
              const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = runner.prefix;
  argv.insert(argv.end(), {"/bin/sh", "-c",
                           escapeCommand(fmt::format("{} --workspace {} {} {}", script.string(), s.workspace.string(),
                                                     runner.options, command))});
  std::vector<std::string> environment = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  environment.insert(environment.end(), env.begin(), env.end());
  return run(argv, "", s.dir.path().string(), environment);
}

void requireRoot(const char* what) {
  if (geteuid() != 0) FAIL(what << " runs as root (as CI does): rerun the tests as root");
}

void checkEscapeSuite(const Runner& runner, const fs::path& script) {
  EscapeScratch s(runner.nobody);
  int applicable = runEscapeSuite(runner.label, [&](const std::string& name, const std::string& arg, bool inside) {
    if (inside)
      return runScript(runner, script, s, fmt::format("/usr/bin/python3 /workspace/escapes.py {} {}", name, arg));
    std::vector<std::string> argv = runner.nobody ? kNobody : std::vector<std::string>{};
    argv.insert(
        argv.end(),
        {"/bin/sh", "-c",
         escapeCommand(fmt::format("/usr/bin/python3 {} {} {}", (s.workspace / "escapes.py").string(), name, arg))});
    return run(argv, "", s.dir.path().string(), {"PATH=/usr/bin:/bin"});
  });
  CHECK(applicable >= (runner.nobody ? 12 : 20));
}

void checkBehaviour(const Runner& runner, const fs::path& script) {
  EscapeScratch s(runner.nobody);
  Run hello = runScript(runner, script, s, "/bin/sh -c 'echo hello; id -u; echo data > /workspace/out'");
  INFO(runner.label << ": " << hello.out << hello.err);
  CHECK(hello.exitCode == 0);
  CHECK(hello.out == "hello\n65534\n");
  CHECK(readText(s.workspace / "out") == "data\n");
  CHECK(runScript(runner, script, s, "/bin/sh -c 'exit 7'").exitCode == 7);
  // Arguments arrive as given: quotes, backslashes, spaces, UTF-8.
  Run words = runScript(runner, script, s, R"(/usr/bin/printf '%s|' 'a"b' 'c\d' 'x y' 'é' '')");
  CHECK(words.out == R"(a"b|c\d|x y|é||)");
  // Written files do not execute: the workspace is bound without exec.
  Run exec = runScript(runner, script, s, "/bin/sh -c 'cp /bin/true /workspace/t && /workspace/t'");
  CHECK(exec.exitCode == 126);
}

}  // namespace

TEST_CASE("export oci: config.json validates against the runtime spec and carries the plan") {
  TempDir dir;
  for (const auto& example : filesUnder(sourceDir() / "examples", ".sbx")) {
    Run r = sbxc({"compile", example.string(), "--target", "oci", "--allow-lossy", "-o", dir.path().string()});
    INFO(example << ": " << r.err);
    REQUIRE(r.exitCode == 0);
  }
  std::string validate = R"(
import json, pathlib, sys, jsonschema
spec = pathlib.Path(sys.argv[1])
schema = json.loads((spec / "config-schema.json").read_text())
resolver = jsonschema.RefResolver(base_uri=spec.as_uri() + "/", referrer=schema)
validator = jsonschema.validators.validator_for(schema)(schema, resolver=resolver)
bad = 0
for config in sys.argv[2:]:
    for error in validator.iter_errors(json.loads(pathlib.Path(config).read_text())):
        print(config, error.json_path if hasattr(error, "json_path") else list(error.path), error.message)
        bad += 1
print("checked", len(sys.argv) - 2)
sys.exit(1 if bad else 0)
)";
  const auto schemas = (sourceDir() / "../shared/schemas/oci-runtime-spec").lexically_normal();
  if (!fs::is_directory(schemas)) return skipTest("the OCI runtime-spec schemas are not at " + schemas.string());
  std::vector<std::string> argv = {"/usr/bin/python3", "-c", validate, schemas.string()};
  for (const auto& config : filesUnder(dir.path(), ".json"))
    if (config.filename() == "config.json") argv.push_back(config.string());
  REQUIRE(argv.size() > 10);
  Run v = run(argv);
  INFO(v.out << v.err);
  CHECK(v.exitCode == 0);
  CHECK(v.out.find(fmt::format("checked {}", argv.size() - 4)) != std::string::npos);

  // A schema that accepts anything would pass the above: it must refuse a broken config.
  json config = json::parse(readText(dir.path() / "contained/config.json"));
  config["process"]["user"]["uid"] = "nobody";
  writeText(dir.path() / "broken.json", config.dump());
  argv.resize(4);
  argv.push_back((dir.path() / "broken.json").string());
  CHECK(run(argv).exitCode == 1);

  config = json::parse(readText(dir.path() / "contained/config.json"));
  CHECK(config["root"]["readonly"] == true);
  CHECK(config["process"]["noNewPrivileges"] == true);
  CHECK(config["process"]["user"]["uid"] == 65534);
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"})
    CHECK(config["process"]["capabilities"][set].empty());
  std::vector<std::string> namespaces;
  for (const auto& n : config["linux"]["namespaces"]) namespaces.push_back(n["type"]);
  CHECK(namespaces == std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "user", "cgroup"});
  CHECK(config["linux"]["resources"]["memory"]["limit"] == 268435456);
  CHECK(config["linux"]["resources"]["pids"]["limit"] == 64);
  CHECK(config["process"]["rlimits"].dump().find("\"RLIMIT_NPROC\"") != std::string::npos);
  CHECK(config["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(config["linux"]["maskedPaths"].dump().find("/proc/kcore") != std::string::npos);
  bool workspace = false;
  for (const auto& m : config["mounts"])
    if (m["destination"] == "/workspace") {
      workspace = true;
      CHECK(m["source"] == "workspace");
      CHECK(m["options"].dump().find("noexec") != std::string::npos);
    } else if (m["destination"] == "/usr") {
      CHECK(m["options"].dump().find("\"ro\"") != std::string::npos);
    }
  CHECK(workspace);
}

TEST_CASE("export oci and bwrap: deterministic, and a token the tier makes mandatory blocks the export") {
  for (std::string target : {"oci", "bwrap"}) {
    CAPTURE(target);
    TempDir a, b;
    fs::path first = exportTask(kContained, target, a.path()), second = exportTask(kContained, target, b.path());
    for (const auto& entry : fs::directory_iterator(first))
      CHECK(readText(entry.path()) == readText(second / entry.path().filename()));
    CHECK((fs::status(first / "run.sh").permissions() & fs::perms::owner_exec) != fs::perms::none);

    TempDir out;
    fs::path demo = sourceDir() / "examples/token-demo.sbx";
    Run refused = sbxc({"compile", demo.string(), "--target", target, "-o", out.path().string()});
    CHECK(refused.exitCode == 1);
    CHECK(refused.err.find("MANDATORY at T3 the just-in-time token `demo_token`") != std::string::npos);
    CHECK(refused.err.find("nothing was written") != std::string::npos);
    CHECK(fs::is_empty(out.path()));
    Run lossy = sbxc({"compile", demo.string(), "--target", target, "--allow-lossy", "-o", out.path().string()});
    CHECK(lossy.exitCode == 0);
    json losses = json::parse(readText(out.path() / "token_demo/loss.json"));
    CHECK(losses["tier"] == 3);
    bool mandatory = false;
    for (const auto& l : losses["losses"]) mandatory |= l["mandatory"] == true;
    CHECK(mandatory);
  }
}

TEST_CASE("export oci: the bundle runs under runc and crun, and the escape suite is blocked") {
  requireRoot("runc");
  TempDir dir;
  fs::path script = exportTask(kContained, "oci", dir.path()) / "run.sh";
  for (const Runner& runner : {Runner{"runc", {}, "--runtime runc"}, Runner{"crun", kCrunPrefix, "--runtime crun"}}) {
    checkBehaviour(runner, script);
    checkEscapeSuite(runner, script);
  }
}

TEST_CASE("export bwrap: the script runs as root and as nobody, and the escape suite is blocked") {
  requireRoot("the switch to nobody");
  TempDir dir;
  fs::path script = exportTask(kContained, "bwrap", dir.path()) / "run.sh";
  fs::permissions(dir.path(), fs::perms::all);
  for (const Runner& runner : {Runner{"bwrap as root", {}, ""}, Runner{"bwrap as nobody", kNobody, "", true}}) {
    checkBehaviour(runner, script);
    checkEscapeSuite(runner, script);
  }
}

TEST_CASE(
    "export oci and bwrap: the timeout kills the sandbox, only declared variables get in, the pids limit is the "
    "sandbox's") {
  requireRoot("runc");
  TempDir dir;
  fs::path policy = dir.path() / "short.sbx";
  writeText(policy, R"(import std.programs
task short {
  use programs.shell
  write workspace
  scratch "/scratch" size 8MiB
  timeout 2s
  env GREETING = "hello world", PASSED
  limits { memory 256MiB  pids 32 }
  syscalls { default errno EPERM }
}
)");
  for (std::string target : {"oci", "bwrap"}) {
    CAPTURE(target);
    fs::path script = exportTask(policy, target, dir.path() / target, "short") / "run.sh";
    EscapeScratch s(false);
    fs::path audit = s.dir.path() / "audit.jsonl";
    Runner runner{target, {}, "--audit " + audit.string()};
    BusyNobody busy(40);  // the payload's user, with more processes than the task's pids 32
    Run env = runScript(runner, script, s, "/usr/bin/env", {"PASSED=from outside", "NOT_DECLARED=1"});
    INFO(env.out << env.err);
    CHECK(env.exitCode == 0);
    CHECK(env.out.find("GREETING=hello world\n") != std::string::npos);
    CHECK(env.out.find("PASSED=from outside\n") != std::string::npos);
    CHECK(env.out.find("NOT_DECLARED") == std::string::npos);
    CHECK(env.out.find("SBX_ESCAPE_CANARY") == std::string::npos);
    // Scratch: a tmpfs of the declared size, writable, without exec (bwrap cannot say noexec itself).
    Run scratch =
        runScript(runner, script, s, "/bin/sh -c 'df -k /scratch | tail -1; cp /bin/true /scratch/t && /scratch/t'");
    CHECK(scratch.out.find(" 8192 ") != std::string::npos);
    CHECK(scratch.exitCode == 126);
    Run slow = runScript(runner, script, s, "/bin/sh -c 'sleep 60 & sleep 60'");
    CHECK(slow.exitCode == 124);
    CHECK(slow.err.find("the timeout of 2 s expired") != std::string::npos);
    std::string log = readText(audit);
    CHECK(log.find("\"event\":\"start\"") != std::string::npos);
    CHECK(log.find("\"event\":\"timeout\"") != std::string::npos);
  }
}

TEST_CASE("export bwrap: masks inside the workspace hide what the sandbox sees there, and a link is refused") {
  requireRoot("the switch to nobody");
  TempDir dir;
  fs::path policy = dir.path() / "masked.sbx";
  writeText(policy, R"(import std.programs
task masked {
  use programs.shell
  write workspace
  mask "/workspace/.secret", "/workspace/key.txt", "/workspace/absent"
  timeout 20s
}
)");
  fs::path script = exportTask(policy, "bwrap", dir.path() / "out", "masked") / "run.sh";
  fs::permissions(dir.path(), fs::perms::all);
  for (const Runner& runner : {Runner{"bwrap as root", {}, ""}, Runner{"bwrap as nobody", kNobody, "", true}}) {
    CAPTURE(runner.label);
    EscapeScratch s(runner.nobody);
    fs::create_directories(s.workspace / ".secret");
    writeText(s.workspace / ".secret/token", "SECRET-IN-DIR\n");
    writeText(s.workspace / "key.txt", "SECRET-IN-FILE\n");
    writeText(s.workspace / "plain.txt", "visible\n");
    for (const char* p : {".secret", ".secret/token", "key.txt", "plain.txt"})
      if (runner.nobody && chown((s.workspace / p).c_str(), 65534, 65534) != 0) FAIL("chown");
    Run r = runScript(runner, script, s,
                      "/bin/sh -c 'cat /workspace/plain.txt; cat /workspace/.secret/token /workspace/key.txt; "
                      "ls -A /workspace/.secret; true'");
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out.find("visible") != std::string::npos);  // the control: the workspace is there
    CHECK(r.out.find("SECRET") == std::string::npos);
    // The masked path the agent replaced by a link (to a host file) is refused, not skipped.
    fs::remove(s.workspace / "key.txt");
    fs::create_symlink("/etc/hostname", s.workspace / "key.txt");
    Run linked = runScript(runner, script, s, "/bin/cat /workspace/key.txt");
    CHECK(linked.exitCode == 125);
    CHECK(linked.err.find("reached through the symbolic link") != std::string::npos);
  }
}

TEST_CASE("export oci: a bundle run with the host's devices as its standard streams leaves them as they were") {
  requireRoot("runc");
  TempDir dir;
  fs::path script = exportTask(kContained, "oci", dir.path()) / "run.sh";
  const char* devices[] = {"/dev/null", "/dev/zero", "/dev/full"};
  struct stat before[3]{};
  for (int i = 0; i < 3; ++i) REQUIRE(stat(devices[i], &before[i]) == 0);
  for (const Runner& runner : {Runner{"runc", {}, "--runtime runc"}, Runner{"crun", kCrunPrefix, "--runtime crun"}}) {
    CAPTURE(runner.label);
    EscapeScratch s(false);
    if (chown(s.workspace.c_str(), 1000, 1000) != 0) FAIL("chown");  // the payload runs as uid 1000
    Run r = runScript(runner, script, s, "/bin/sh -c 'id -u >/workspace/uid' </dev/null >/dev/full 2>/dev/null");
    CHECK(r.exitCode == 0);
    CHECK(readText(s.workspace / "uid") == "1000\n");
    for (int i = 0; i < 3; ++i) {
      CAPTURE(devices[i]);
      struct stat after {};
      REQUIRE(stat(devices[i], &after) == 0);
      CHECK(after.st_uid == before[i].st_uid);
      CHECK(after.st_gid == before[i].st_gid);
      CHECK(after.st_mode == before[i].st_mode);
      // Put back what a failure changed: the machine's other users need their devices.
      if (after.st_uid != before[i].st_uid || after.st_gid != before[i].st_gid)
        CHECK(chown(devices[i], before[i].st_uid, before[i].st_gid) == 0);
    }
  }
}
