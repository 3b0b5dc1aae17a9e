// `sbxc compile --target systemd`: the unit is read back directive by directive and checked per
// example, and `systemd-analyze verify` (systemd's own parser) must accept it without a warning,
// with a drop-in giving the command as README.txt says. The unit cannot be run here (no systemd
// as PID 1). Also: the loss report and the exports it refuses, the address arithmetic of
// IPAddressAllow= against Python's ipaddress module, and byte-identical output.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx::test;
using nlohmann::json;

namespace {

const std::string kExamples = (sourceDir() / "examples").string();
const fs::path kSystemdAnalyze = "/usr/bin/systemd-analyze";

// A unit file: section -> directive -> values, in order (a directive may repeat).
using UnitFile = std::map<std::string, std::map<std::string, std::vector<std::string>>>;

UnitFile parseUnit(const std::string& text) {
  UnitFile unit;
  std::string section;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[') {
      REQUIRE(line.back() == ']');
      section = line.substr(1, line.size() - 2);
      continue;
    }
    auto equals = line.find('=');
    REQUIRE_MESSAGE(equals != std::string::npos, line);
    REQUIRE_MESSAGE(!section.empty(), line);
    unit[section][line.substr(0, equals)].push_back(line.substr(equals + 1));
  }
  return unit;
}

// The one value of a directive of [Service]; "" when it is absent.
std::string service(const UnitFile& unit, const std::string& key) {
  auto s = unit.find("Service");
  if (s == unit.end()) return "";
  auto it = s->second.find(key);
  if (it == s->second.end()) return "";
  CHECK_MESSAGE(it->second.size() == 1, key);
  return it->second.front();
}

// Every word of every value of a directive (lists repeat their directive).
std::set<std::string> words(const UnitFile& unit, const std::string& key) {
  std::set<std::string> out;
  auto s = unit.find("Service");
  if (s == unit.end() || !s->second.contains(key)) return out;
  for (const auto& value : s->second.at(key)) {
    std::istringstream in(value);
    for (std::string w; in >> w;) out.insert(w);
  }
  return out;
}

fs::path onlyUnit(const fs::path& dir) {
  std::vector<fs::path> units = filesUnder(dir, ".service");
  REQUIRE(units.size() == 1);
  return units.front();
}

// systemd's parser on the unit, with the drop-in README.txt describes for the command.
void verifyWithSystemd(const fs::path& unitPath) {
  if (!fs::exists(kSystemdAnalyze)) {
    return skipTest("systemd-analyze is not installed: the unit was checked by the test's own parser only");
  }
  fs::path dropIn = unitPath.string() + ".d";
  fs::create_directories(dropIn);
  writeText(dropIn / "command.conf", "[Service]\nExecStart=/bin/true\n");
  Run r = run({kSystemdAnalyze.string(), "verify", unitPath.string()});
  INFO(r.out, r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.err.empty());  // an unknown or malformed directive is only a warning
  fs::remove_all(dropIn);
}

Run exportSystemd(const std::string& policy, const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"compile", policy, "--target", "systemd", "-o", dir.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return sbxc(args);
}

bool anyMandatory(const json& lossReport) {
  for (const auto& l : lossReport["losses"])
    if (l["mandatory"] == true) return true;
  return false;
}

// A T2 task with names and networks, one holding the metadata range, one IPv6.
constexpr const char* kFetcher = R"(task fetcher {
  timeout 5m
  read "/usr", "/lib"
  write workspace
  scratch "/scratch" size 32MiB
  # The exporters must drop the metadata ranges and pass the wildcard: these are on purpose.
  @suppress(wildcard-egress, reason "the exporters' handling of a wildcard is under test")
  @suppress(metadata-reachable, reason "the exporters must leave the metadata ranges out")
  connect "api.github.com:443", "*.githubusercontent.com:443", "169.0.0.0/8:80", "[fd00::/8]:443"
  env MODE = "50% \"quoted\""
  limits {
    memory 1GiB
    pids 32
    files 256
  }
}
)";

// A deny-list policy: the default allows, two calls are refused, one with a kill.
constexpr const char* kDenyList = R"(import std.syscalls
task denier {
  timeout 30s
  read "/usr"
  syscalls {
    default allow
    errno EPERM ptrace
    kill @syscalls.dangerous
  }
}
)";

// Nothing allowed (at T1, where the profile names every known call): every call systemd
// permits anyway is reported.
constexpr const char* kNothingAllowed = R"(task nothing {
  timeout 30s
  read "/usr"
  write workspace
  syscalls {
    default errno EPERM
  }
}
)";

}  // namespace

TEST_CASE("export systemd: contained as a hardened template unit, exported without --allow-lossy (T1 kept)") {
  std::string policy = kExamples + "/contained.sbx";
  TempDir dir;
  Run r = exportSystemd(policy, dir.path());
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  fs::path unitPath = dir.path() / "contained/systemd/sbx-contained@.service";
  REQUIRE(fs::exists(unitPath));
  UnitFile unit = parseUnit(readText(unitPath));
  CHECK(unit["Unit"]["Description"] ==
        std::vector<std::string>{
            "sbx task contained: Run a command with read-only system files and a writable workspace"});
  CHECK(service(unit, "ExecStart").empty());  // the drop-in gives it
  CHECK(service(unit, "Type") == "exec");
  CHECK(service(unit, "DynamicUser") == "yes");
  CHECK(service(unit, "UMask") == "0077");
  CHECK(service(unit, "StateDirectory") == "sbx-contained/%i");
  CHECK(service(unit, "BindPaths") == "%S/sbx-contained/%i:/workspace");
  CHECK(service(unit, "WorkingDirectory") == "/workspace");
  CHECK(service(unit, "RuntimeMaxSec") == "10000ms");
  for (const char* key : {"ProtectSystem"}) CHECK(service(unit, key) == "strict");
  for (const char* key : {"ProtectHome", "PrivateTmp", "PrivateDevices", "NoNewPrivileges", "PrivateUsers",
                          "PrivateIPC", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                          "ProtectControlGroups", "ProtectClock", "ProtectHostname", "RestrictNamespaces",
                          "RestrictSUIDSGID", "RestrictRealtime", "LockPersonality", "RemoveIPC", "PrivateNetwork"})
    CHECK_MESSAGE(service(unit, key) == "yes", key);
  CHECK(service(unit, "CapabilityBoundingSet").empty());
  CHECK(unit["Service"].contains("CapabilityBoundingSet"));
  CHECK(service(unit, "AmbientCapabilities").empty());
  CHECK(service(unit, "ProtectProc") == "invisible");
  CHECK(service(unit, "ProcSubset") == "pid");
  CHECK(service(unit, "KeyringMode") == "private");
  CHECK_FALSE(unit["Service"].contains("MemoryDenyWriteExecute"));

  // Files: declared reads read-only, exec only from them (not from the workspace), secrets hidden.
  auto readOnly = words(unit, "ReadOnlyPaths");
  for (const char* p : {"-/usr", "-/lib", "-/lib64", "-/bin", "-/etc/passwd"}) CHECK_MESSAGE(readOnly.contains(p), p);
  CHECK(service(unit, "NoExecPaths") == "/");
  auto exec = words(unit, "ExecPaths");
  CHECK(exec.contains("-/usr"));
  CHECK_FALSE(exec.contains("-/workspace"));
  auto hidden = words(unit, "InaccessiblePaths");
  for (const char* p : {"-/etc/shadow", "-/run/secrets", "-/var/run/docker.sock"}) CHECK_MESSAGE(hidden.contains(p), p);
  CHECK_FALSE(unit["Service"].contains("ReadWritePaths"));

  // System calls: an allow list, EPERM for the rest; dangerous calls stay off it.
  CHECK(service(unit, "SystemCallArchitectures") == "native");
  CHECK(service(unit, "SystemCallErrorNumber") == "EPERM");
  auto allowed = words(unit, "SystemCallFilter");
  for (const char* s : {"read", "write", "openat", "execve", "ioctl", "clone", "clone3", "exit_group"})
    CHECK_MESSAGE(allowed.contains(s), s);
  for (const char* s : {"ptrace", "mount", "bpf", "unshare", "setns", "io_uring_setup", "socket", "keyctl"})
    CHECK_MESSAGE(!allowed.contains(s), s);
  CHECK(std::none_of(allowed.begin(), allowed.end(), [](const std::string& w) { return w.starts_with("~"); }));

  CHECK(service(unit, "RestrictAddressFamilies") == "AF_UNIX");
  CHECK(service(unit, "IPAddressDeny") == "any");
  CHECK(service(unit, "MemoryMax") == "268435456");
  CHECK(service(unit, "TasksMax") == "64");
  CHECK(service(unit, "LimitAS") == "268435456");
  CHECK(service(unit, "LimitNPROC") == "64");

  json losses = json::parse(readText(dir.path() / "contained/loss.json"));
  CHECK(losses["tier"] == 1);
  CHECK_FALSE(anyMandatory(losses));
  CHECK(r.err.find("ioctl (allowed whatever its arguments; TIOCSTI, TIOCLINUX and TIOCSETD find no terminal") !=
        std::string::npos);
  CHECK(r.err.find("io_uring_setup answers EPERM instead of ENOSYS") != std::string::npos);
  std::string readme = readText(dir.path() / "contained/systemd/README.txt");
  CHECK(readme.find("systemctl link $PWD/sbx-contained@.service") != std::string::npos);
  CHECK(readme.find("/etc/systemd/system/sbx-contained@.service.d/command.conf") != std::string::npos);
  verifyWithSystemd(unitPath);

  TempDir again;
  REQUIRE(exportSystemd(policy, again.path()).exitCode == 0);
  for (const char* f : {"systemd/sbx-contained@.service", "systemd/README.txt", "loss.txt", "loss.json"})
    CHECK_MESSAGE(readText(dir.path() / "contained" / f) == readText(again.path() / "contained" / f), f);
}

TEST_CASE("export systemd: egress-local's address allowed, its connections unaudited: mandatory at T2") {
  std::string policy = kExamples + "/egress-local.sbx";
  TempDir dir;
  Run refused = exportSystemd(policy, dir.path());
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("MANDATORY at T2 every connection audited") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "egress_local"));
  Run r = exportSystemd(policy, dir.path(), {"--allow-lossy"});
  REQUIRE(r.exitCode == 0);
  fs::path unitPath = onlyUnit(dir.path() / "egress_local/systemd");
  UnitFile unit = parseUnit(readText(unitPath));
  CHECK_FALSE(unit["Service"].contains("PrivateNetwork"));
  CHECK(service(unit, "IPAddressDeny") == "any");
  CHECK(service(unit, "IPAddressAllow") == "127.0.0.1/32");
  CHECK(service(unit, "RestrictAddressFamilies") == "AF_UNIX AF_INET AF_INET6");
  CHECK(unit["Service"]["Environment"] ==
        std::vector<std::string>{"\"LANG=C.UTF-8\"", "\"PATH=/usr/local/bin:/usr/bin:/bin\"", "\"HOME=/workspace\"",
                                 "\"PYTHONDONTWRITEBYTECODE=1\"", "\"PYTHONUNBUFFERED=1\""});
  CHECK(words(unit, "SystemCallFilter").contains("socket"));
  CHECK(r.err.find("lost the size of scratch `/tmp`") != std::string::npos);
  verifyWithSystemd(unitPath);
}

TEST_CASE("export systemd: token-demo's secret as a credential the runner mints: mandatory at T3") {
  std::string policy = kExamples + "/token-demo.sbx";
  TempDir dir;
  Run refused = exportSystemd(policy, dir.path());
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("MANDATORY at T3 just-in-time `demo_token`") != std::string::npos);
  CHECK(fs::is_empty(dir.path()));
  Run r = exportSystemd(policy, dir.path(), {"--allow-lossy"});
  REQUIRE(r.exitCode == 0);
  fs::path unitPath = onlyUnit(dir.path() / "token_demo/systemd");
  UnitFile unit = parseUnit(readText(unitPath));
  CHECK(service(unit, "LoadCredential") == "demo_token:/run/sbxc/%n/demo_token");
  CHECK(service(unit, "TemporaryFileSystem") == "/run/secrets:ro");
  CHECK(service(unit, "BindReadOnlyPaths") == "%d/demo_token:/run/secrets/demo_token");
  CHECK(service(unit, "ExecStopPost") == "+/bin/rm -f -- /run/sbxc/%n/demo_token");
  // The token's directory replaces the host's /run/secrets (/var/run/secrets is the same directory).
  CHECK_FALSE(words(unit, "InaccessiblePaths").contains("-/run/secrets"));
  CHECK_FALSE(words(unit, "InaccessiblePaths").contains("-/var/run/secrets"));
  CHECK(words(unit, "InaccessiblePaths").contains("-/etc/shadow"));
  std::string readme = readText(dir.path() / "token_demo/systemd/README.txt");
  CHECK(readme.find("/run/sbxc/sbx-token_demo@NAME.service/demo_token  (audience demo.local, scopes demo:read, TTL "
                    "300 s") != std::string::npos);
  verifyWithSystemd(unitPath);
}

TEST_CASE("export systemd: networks without the never-reachable ranges, names unreachable, values escaped") {
  TempDir dir;
  writeText(dir.path() / "fetcher.sbx", kFetcher);
  Run r = exportSystemd((dir.path() / "fetcher.sbx").string(), dir.path() / "out", {"--allow-lossy"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  fs::path unitPath = onlyUnit(dir.path() / "out/fetcher/systemd");
  UnitFile unit = parseUnit(readText(unitPath));
  // The allowed prefixes must cover the networks minus the metadata ranges exactly: Python's
  // ipaddress module computes the same difference independently.
  auto allowed = words(unit, "IPAddressAllow");
  Run expected = run({"/usr/bin/python3", "-c",
                      "import ipaddress as i\n"
                      "for n, hole in (('169.0.0.0/8', '169.254.0.0/16'), ('fd00::/8', 'fd00:ec2::254/128')):\n"
                      "    for p in i.ip_network(n).address_exclude(i.ip_network(hole)): print(p)\n"});
  REQUIRE(expected.exitCode == 0);
  std::set<std::string> reference;
  std::istringstream lines(expected.out);
  for (std::string l; std::getline(lines, l);) reference.insert(l);
  CHECK(reference.size() == 128);
  CHECK(allowed == reference);
  CHECK(r.err.find("lost egress to api.github.com:443, *.githubusercontent.com:443: systemd allows addresses, not "
                   "names") != std::string::npos);
  CHECK(unit["Service"]["Environment"] == std::vector<std::string>{"\"MODE=50%% \\\"quoted\\\"\""});
  CHECK(service(unit, "TemporaryFileSystem") == "/scratch:size=33554432,mode=1777,nosuid,nodev,noexec");
  CHECK(service(unit, "TasksMax") == "32");
  CHECK(service(unit, "LimitNOFILE") == "256");
  CHECK(service(unit, "MemoryMax") == "1073741824");
  verifyWithSystemd(unitPath);
}

TEST_CASE("export systemd: a deny-list policy keeps each call's own answer") {
  TempDir dir;
  writeText(dir.path() / "denier.sbx", kDenyList);
  Run r = exportSystemd((dir.path() / "denier.sbx").string(), dir.path() / "out", {"--allow-lossy"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  fs::path unitPath = onlyUnit(dir.path() / "out/denier/systemd");
  CHECK(unitPath.filename() == "sbx-denier.service");  // no workspace: no template
  UnitFile unit = parseUnit(readText(unitPath));
  // A deny list: every SystemCallFilter= line starts with '~'.
  for (const auto& value : unit["Service"]["SystemCallFilter"]) CHECK(value.starts_with("~"));
  std::set<std::string> denied;
  for (std::string w : words(unit, "SystemCallFilter")) denied.insert(w.starts_with("~") ? w.substr(1) : w);
  CHECK(denied.contains("ptrace:EPERM"));
  CHECK(denied.contains("mount:kill"));
  CHECK(denied.contains("bpf:kill"));
  CHECK_FALSE(denied.contains("read:EPERM"));
  CHECK_FALSE(unit["Service"].contains("SystemCallErrorNumber"));
  CHECK_FALSE(unit["Service"].contains("StateDirectory"));
  verifyWithSystemd(unitPath);
}

TEST_CASE("export systemd: what systemd always allows is reported, as systemd-analyze lists it") {
  TempDir dir;
  writeText(dir.path() / "nothing.sbx", kNothingAllowed);
  Run r = exportSystemd((dir.path() / "nothing.sbx").string(), dir.path() / "out", {"--allow-lossy"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  UnitFile unit = parseUnit(readText(onlyUnit(dir.path() / "out/nothing/systemd")));
  CHECK(service(unit, "SystemCallErrorNumber") == "EPERM");
  CHECK(r.err.find("execve (systemd always allows it)") != std::string::npos);
  CHECK(r.err.find("mprotect (systemd always allows it)") != std::string::npos);
  if (!fs::exists(kSystemdAnalyze)) {
    return skipTest("systemd-analyze is not installed: its @default set was not compared");
  }
  // Every call of systemd's @default set that the filter's architectures have must be reported.
  TempDir docker;
  REQUIRE(sbxc({"compile", (dir.path() / "nothing.sbx").string(), "--target", "docker-seccomp", "-o",
                docker.path().string()})
              .exitCode == 0);
  std::set<std::string> known;
  json profile = json::parse(readText(docker.path() / "nothing/seccomp.json"));
  for (const auto& rule : profile["syscalls"])
    for (const auto& n : rule["names"]) known.insert(n);
  Run set = run({kSystemdAnalyze.string(), "syscall-filter", "@default"});
  REQUIRE(set.exitCode == 0);
  std::istringstream in(set.out);
  int compared = 0;
  for (std::string w; in >> w;) {
    if (w.starts_with("@") || w.starts_with("#") || !known.contains(w)) continue;
    ++compared;
    CHECK_MESSAGE(r.err.find(w + " (systemd always allows it)") != std::string::npos, w);
  }
  CHECK(compared > 30);
}

TEST_CASE("export systemd: a T4 task that kills on a violation, and its tool-bound egress and token") {
  TempDir dir;
  Run refused = exportSystemd(kExamples + "/code-review-bot.sbx", dir.path());
  CHECK(refused.exitCode == 1);
  // gh's hosts are names, which systemd cannot open to anyone: nothing is widened to the other processes.
  CHECK(refused.err.find("lost egress to api.github.com:443, *.githubusercontent.com:443") != std::string::npos);
  CHECK(refused.err.find("MANDATORY at T3 `github_token` for tool `gh` alone") != std::string::npos);
  CHECK(refused.err.find("MANDATORY at T4 the audit log") != std::string::npos);
  CHECK(fs::is_empty(dir.path()));
  Run r = exportSystemd(kExamples + "/code-review-bot.sbx", dir.path(), {"--allow-lossy"});
  REQUIRE(r.exitCode == 0);
  fs::path unitPath = onlyUnit(dir.path() / "review_pull_request/systemd");
  std::string text = readText(unitPath);
  UnitFile unit = parseUnit(text);
  CHECK_FALSE(unit["Service"].contains("SystemCallErrorNumber"));  // kill-on-violation kept
  CHECK(text.find("# SystemCallErrorNumber= unset: a call outside the list kills the process.") != std::string::npos);
  CHECK(service(unit, "LoadCredential") == "github_token:/run/sbxc/%n/github_token");
  CHECK_FALSE(unit["Service"].contains("BindReadOnlyPaths"));  // an env exposure: the file only
  CHECK(r.err.find("`github_token` as the variable GITHUB_TOKEN") != std::string::npos);
  verifyWithSystemd(unitPath);
}

TEST_CASE("export systemd: a `source file` secret is loaded from the host file, which is never removed") {
  TempDir dir;
  fs::path policy = dir.path() / "mirror.sbx";
  writeText(policy, R"(task mirror {
  identity spiffe "spiffe://sbx.local/test/mirror"
  timeout 10m
  @suppress(long-lived-credential, reason "a deploy key the CI host holds")
  @suppress(unscoped-token, reason "the test's task reads it")
  secret deploy_key {
    source file "/home/ci/.ssh/deploy_key"
    expose file
  }
}
)");
  Run r = exportSystemd(policy.string(), dir.path() / "out");
  INFO(r.err);
  REQUIRE(r.exitCode == 0);  // nothing is minted, so no just-in-time token is lost
  UnitFile unit = parseUnit(readText(onlyUnit(dir.path() / "out/mirror/systemd")));
  CHECK(service(unit, "LoadCredential") == "deploy_key:/home/ci/.ssh/deploy_key");
  CHECK(service(unit, "BindReadOnlyPaths") == "%d/deploy_key:/run/secrets/deploy_key");
  CHECK(service(unit, "ExecStopPost").empty());
  // Neither the unit nor the README tells the operator to mint or revoke a host file.
  std::string text = readText(onlyUnit(dir.path() / "out/mirror/systemd"));
  CHECK(text.find("mints") == std::string::npos);
  CHECK(text.find("Host secrets (`source file`)") != std::string::npos);
  std::string readme = readText(dir.path() / "out/mirror/systemd/README.txt");
  CHECK(readme.find("mint the task's tokens") == std::string::npos);
  CHECK(readme.find("/home/ci/.ssh/deploy_key  (deploy_key)") != std::string::npos);
}
