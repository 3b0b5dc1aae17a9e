// Tokens for one tool alone (examples/tool-token-demo.sbx, docs/tokens.md), against the real
// kernel, as root and as nobody. The agent (python3, tool_token_attacks.py) calls the tools `show`
// (printenv, DEMO_TOKEN in its environment) and `reader` (cat, /run/secrets/reader_token at
// descriptor 200): the tools' tokens verify with `sbxc token verify`, then every attack on them
// must fail: the agent's environment and its view of the file, the tool processes' environ, mem,
// descriptors and working directory, ptrace, process_vm_readv, pidfd_getfd, reading or chmod of
// the gates and the executables' copies, asking the broker directly or from a process that then
// becomes the gate, a gate under an extra seccomp filter or a tracer, and the loader's variables.
// Each runs under the example's policy and under one that lets the agent trace and read processes
// (the kernel alone in the way); a control makes each access against an ordinary process of the
// agent, which must succeed. The tokens are revoked after the run, and no token is in the audit.
// A task whose tools sbx-run cannot gate is refused with a diagnostic; a task without tool tokens
// gets no gate at all; a gated tool's connections are still the tool's for the egress proxy.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/escape_suite.h"
#include "support/http_server.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// The example with a syscall policy that lets the agent trace, read other processes, add seccomp
// filters and use every socket call: what stops the attacks then is the kernel and the broker.
std::string hostilePolicy() {
  std::string text = readText(sourceDir() / "examples/tool-token-demo.sbx");
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  replace("task tool_token_demo {", "task hostile_agent {");
  replace("import std.programs\n", "import std.programs\nimport std.syscalls\n");
  replace(
      "  syscalls {\n",
      "  syscalls {\n"
      "    @suppress(baseline-disabled, reason \"the agent may trace and read processes: the kernel must refuse\")\n"
      "    baseline off\n"
      "    @suppress(dangerous-syscall, reason \"the agent attacks the tools with these\")\n"
      "    allow ptrace, process_vm_readv, pidfd_open, pidfd_getfd, seccomp, unshare\n"
      "    allow @syscalls.network-io\n");
  return text;
}

// A scratch directory the mode's user owns: workspace (with the attack script), cache, state.
struct Scratch {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", cache = dir.path() / "cache", state = dir.path() / "state",
           audit = dir.path() / "audit.jsonl";
  explicit Scratch(bool nobody) {
    for (const auto& d : {workspace, cache, state}) fs::create_directories(d);
    fs::copy_file(sourceDir() / "tests/runtime/tool_token_attacks.py", workspace / "tool_token_attacks.py");
    fs::permissions(dir.path(), fs::perms::all | fs::perms::sticky_bit);  // like /tmp: the cache may sit below it
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown " << workspace);
    if (nobody)
      for (const auto& p : {dir.path(), cache, state, workspace / "tool_token_attacks.py"})
        if (chown(p.c_str(), 65534, 65534) != 0) FAIL("chown " << p);
  }
  Run launch(const Mode& mode, const fs::path& policy, const std::vector<std::string>& command) const {
    std::vector<std::string> argv = mode.prefix;
    argv.insert(argv.end(),
                {SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(), policy.string(), "--"});
    argv.insert(argv.end(), command.begin(), command.end());
    return run(argv, "", dir.path().string(),
               {"SBX_RUN_CACHE=" + cache.string(), "SBX_STATE_DIR=" + state.string(), "PATH=/usr/bin:/bin"});
  }
  Run verify(const std::string& token, const std::vector<std::string>& options = {}) const {
    return verifyToken(state.string(), token, options);
  }
};

struct Verdict {
  std::string verdict, detail;
};

std::map<std::string, Verdict> verdicts(const std::string& out) {
  std::map<std::string, Verdict> v;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string name, verdict, detail;
    fields >> name >> verdict;
    std::getline(fields, detail);
    v[name] = {verdict, detail};
  }
  return v;
}

std::vector<nlohmann::json> auditEvents(const fs::path& audit, const std::string& kind) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(readText(audit));
  for (std::string line; std::getline(lines, line);)
    if (auto j = nlohmann::json::parse(line, nullptr, false); j.is_object() && j.value("event", "") == kind)
      out.push_back(j);
  return out;
}

// The attacks every run must show blocked.
const char* const kAttacks[] = {
    "agent-environment",
    "agent-secret-file",
    "agent-secret-link",
    "show-environ",
    "show-mem",
    "show-fd",
    "show-fd-list",
    "show-ptrace-attach",
    "show-process-vm-readv",
    "show-pidfd-getfd",
    "show-cwd",
    "reader-environ",
    "reader-mem",
    "reader-fd",
    "reader-fd-list",
    "reader-ptrace-attach",
    "reader-process-vm-readv",
    "reader-pidfd-getfd",
    "reader-cwd",
    "proc-sweep",
    "broker-as-gate-pid",
    "read:/usr/bin/printenv",
    "chmod:/usr/bin/printenv",
    "read:/usr/bin/cat",
    "chmod:/usr/bin/cat",
    "read:/run/sbx/show/gate",
    "chmod:/run/sbx/show/gate",
    "read:/run/sbx/show/printenv",
    "chmod:/run/sbx/show/printenv",
    "read:/run/sbx/reader/gate",
    "chmod:/run/sbx/reader/gate",
    "read:/run/sbx/reader/cat",
    "chmod:/run/sbx/reader/cat",
    "broker-direct",
    "broker-no-credentials",
    "broker-connect-then-exec",
    "broker-connect-then-exec-silent",
    "extra-seccomp-filter",
    "gate-in-own-user-namespace",
    "loader-variables",
};

// Controls that the example's own filter makes fail (it denies ptrace, process_vm_readv,
// pidfd_getfd, unshare and the socket calls): the hostile policy's run must have them succeed.
bool deniedByExampleFilter(const std::string& control) {
  return control.starts_with("show-ptrace-attach") || control.starts_with("show-process-vm-readv") ||
         control.starts_with("show-pidfd-getfd") || control.starts_with("gate-in-own-user-namespace");
}

void attackRun(const Mode& mode, bool hostile) {
  Scratch s(mode.name == "nobody");
  fs::path policy = sourceDir() / "examples/tool-token-demo.sbx";
  if (hostile) {
    policy = s.dir.path() / "hostile.sbx";
    writeText(policy, hostilePolicy());
    if (mode.name == "nobody" && chown(policy.c_str(), 65534, 65534) != 0) FAIL("chown");
  }
  std::string label = mode.name + (hostile ? " hostile policy" : " example policy");
  Run r;
  std::thread task([&] {
    r = s.launch(mode, policy, {"/usr/bin/python3", "/workspace/tool_token_attacks.py", "/workspace"});
  });
  bool ready = waitForFile(s.workspace / "ready", 30);
  std::string show = ready ? readText(s.workspace / "show_token") : "";
  std::string reader = ready ? readText(s.workspace / "reader_token") : "";
  Run showValid = s.verify(show, {"--audience", "demo.local", "--scope", "demo:show"});
  Run readerValid = s.verify(reader, {"--audience", "demo.local", "--scope", "demo:read"});
  Run showOtherScope = s.verify(show, {"--scope", "demo:read"});
  writeText(s.workspace / "done", "");
  task.join();
  Run showAfter = s.verify(show), readerAfter = s.verify(reader);

  INFO(label << "\nexit " << r.exitCode << "\n" << r.out << r.err);
  REQUIRE(ready);
  CHECK(r.exitCode == 0);
  // The tools got their tokens, valid for their own scope only, revoked once the task ended.
  CHECK(showValid.exitCode == 0);
  CHECK(showValid.out.starts_with("valid: spiffe://sbx.local/demo/tool-token-demo for demo.local (scope: demo:show)"));
  CHECK(readerValid.exitCode == 0);
  CHECK(
      readerValid.out.starts_with("valid: spiffe://sbx.local/demo/tool-token-demo for demo.local (scope: demo:read)"));
  CHECK(showOtherScope.exitCode == 1);
  CHECK(showAfter.out.find("invalid: revoked") == 0);
  CHECK(readerAfter.out.find("invalid: revoked") == 0);

  auto v = verdicts(r.out);
  CHECK(v["tools"].verdict == "CONTROL-OK");
  for (const char* name : kAttacks) {
    INFO(label << ": " << name << " " << v[name].detail);
    CHECK(v[name].verdict == "BLOCKED");
  }
  int controls = 0;
  for (const auto& [name, result] : v) {
    INFO(label << ": " << name << " " << result.verdict << " " << result.detail);
    CHECK(result.verdict != "ESCAPED");
    if (result.verdict == "CONTROL-OK") ++controls;
    if (result.verdict == "CONTROL-FAILED") CHECK((!hostile && deniedByExampleFilter(name)));
  }
  // The control accesses succeed, so the blocked attacks prove something.
  for (const char* control : {"show-environ:control", "show-mem:control", "show-fd:control", "show-fd-list:control",
                              "show-cwd:control", "read:control", "chmod:control", "loader-variables:control"})
    CHECK(v[control].verdict == "CONTROL-OK");
  CHECK(controls >= (hostile ? 13 : 9));
  if (hostile) {
    // With nothing but the kernel and the broker in the way, each refusal has the expected cause.
    CHECK(v["broker-direct"].detail.find("refused the key is no tool's") != std::string::npos);
    CHECK(v["broker-connect-then-exec"].detail.find("refused") != std::string::npos);
    CHECK(v["traced-gate"].verdict == "BLOCKED");
    CHECK(v["traced-gate"].detail.find("it is traced") != std::string::npos);
    CHECK(v["traced-gate:control"].verdict == "CONTROL-OK");
    // The agent can make a user namespace; the tool exec'd in it gets no token.
    CHECK(v["gate-in-own-user-namespace:control"].verdict == "CONTROL-OK");
  } else {
    CHECK(v["traced-gate"].verdict == "SKIPPED");  // the example's filter denies ptrace
  }
  CHECK(v["extra-seccomp-filter"].detail.find("seccomp filters") != std::string::npos);
  CHECK(v["loader-variables"].detail.find("removed") != std::string::npos);
  CHECK(v["agent-secret-link"].detail.find("the agent's own descriptor") != std::string::npos);
  CHECK(v["proc-sweep"].detail.find("no token") != std::string::npos);

  // The audit log: issued for the tool, delivered to it, refusals with pid, executable and reason;
  // never a token's text.
  auto issued = auditEvents(s.audit, "token-issued");
  REQUIRE(issued.size() == 2);
  CHECK(issued[0].value("tool", "") == "show");
  CHECK(issued[1].value("tool", "") == "reader");
  CHECK(auditEvents(s.audit, "tool-token-delivered").size() >= 4);
  auto refused = auditEvents(s.audit, "tool-token-refused");
  bool traced = false, filtered = false, unknownKey = false;
  for (const auto& e : refused) {
    CHECK(e.value("pid", 0) > 0);
    CHECK(e.contains("exe"));
    std::string reason = e.value("reason", "");
    traced = traced || reason.starts_with("it is traced");
    filtered = filtered || reason.find("seccomp filters") != std::string::npos;
    unknownKey = unknownKey || reason == "the key is no tool's";
  }
  CHECK(filtered);
  if (hostile) CHECK((traced && unknownKey));
  std::string audit = readText(s.audit);
  CHECK(audit.find("\"event\":\"token-revoked\"") != std::string::npos);
  for (const auto& token : {show, reader}) {
    REQUIRE(token.rfind('.') != std::string::npos);
    CHECK(audit.find(token.substr(token.rfind('.') + 1)) == std::string::npos);
    CHECK(audit.find(token.substr(0, token.rfind('.'))) == std::string::npos);
  }
  fmt::print(stderr, "tool tokens, {}: {} attacks blocked, {} controls succeeded\n", label, std::size(kAttacks),
             controls);
}

// A policy whose tool `t` (with the lines `toolLines`) holds a file token.
struct ToolPolicy {
  std::string toolLines, taskLines;
  std::string syscalls = "allow socket if arg0 == AF_UNIX\n    allow connect, sendmsg";
  std::string limits = "memory 256MiB  pids 64";
  std::string text() const {
    return fmt::format(R"(import std.programs
task t {{
  identity spiffe "spiffe://sbx.local/test"
  use programs.shell
  write workspace
  timeout 1m
  tool t {{
    description "A tool"
    action run effect read
    uses secret t_token
{}
  }}
{}
  secret t_token {{
    source "broker://test/t"
    scope "t:run"
    audience "t.local"
    ttl 1m
  }}
  syscalls {{
    default errno EPERM
    {}
  }}
  limits {{ {} }}
}}
)",
                       toolLines, taskLines, syscalls, limits);
  }
};

}  // namespace

TEST_CASE("tool tokens: the tool gets its token and the agent none, under the example's policy") {
  for (const auto& mode : kModes) attackRun(mode, false);
}

TEST_CASE("tool tokens: the kernel and the broker refuse an agent that may trace and read processes") {
  for (const auto& mode : kModes) attackRun(mode, true);
}

TEST_CASE("tool tokens: a tool sbx-run cannot gate is refused at launch, with the reason") {
  struct Case {
    std::string name, policy, message;
    bool minted;  // refused after the tokens were minted (then revoked), or before
  };
  const std::string printenv = "    exec \"/usr/bin/printenv\"";
  const Case cases[] = {
      {"a script", ToolPolicy{"    exec \"/usr/bin/ldd\"", ""}.text(),
       "tool `t`: its executable /usr/bin/ldd is not an ELF binary (a script?)", true},
      // These three the compiler refuses (SBX0058, SBX0060); the launcher's own check is tested below.
      {"no exec", ToolPolicy{"", ""}.text(), "tool `t` is given secret `t_token` but declares no executable", false},
      {"a shared exec",
       ToolPolicy{printenv,
                  "  tool other {\n    description \"Another\"\n" + printenv + "\n    action run effect read\n  }"}
           .text(),
       "tool `t` is given secret `t_token`, and tool `other` runs its executable /usr/bin/printenv too", false},
      {"a filter that denies the gate's calls", ToolPolicy{printenv, "", "allow getpid"}.text(),
       "error[SBX0060]: tool `t` gets its token through sbx-run's tool gate, but the syscall policy of task `t` denies "
       "socket(AF_UNIX, SOCK_STREAM), connect, sendmsg",
       false},
      {"too few descriptors",
       ToolPolicy{printenv, "", ToolPolicy{}.syscalls, "memory 256MiB  pids 64  files 100"}.text(),
       "a tool's token file is held at descriptor 200, and the task's open-files limit is 100", false},
  };
  for (const auto& c : cases) {
    Scratch s(false);
    fs::path policy = s.dir.path() / "tool.sbx";
    writeText(policy, c.policy);
    Run r = s.launch(kModes[0], policy, {"/bin/sh", "-c", "echo ran"});
    INFO(c.name << ": " << r.out << r.err);
    CHECK(r.exitCode == 125);
    CHECK(r.out.empty());
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(fs::exists(s.state / "signing-key.pem") == c.minted);
    if (c.minted) CHECK(readText(s.audit).find("\"event\":\"token-revoked\"") != std::string::npos);
  }
}

TEST_CASE("tool tokens: sbx-run checks a plan made otherwise, and refuses the tools it cannot gate") {
  Scratch s(false);
  fs::path policy = s.dir.path() / "tool.sbx", compiled = s.dir.path() / "compiled";
  writeText(policy, ToolPolicy{"    exec \"/usr/bin/printenv\"", ""}.text());
  REQUIRE(sbxc({"compile", policy.string(), "-o", compiled.string()}).exitCode == 0);
  fs::path planPath = compiled / "t/plan.json";
  const nlohmann::json plan = nlohmann::json::parse(readText(planPath));
  auto refused = [&](const nlohmann::json& edited, const std::string& message) {
    writeText(planPath, edited.dump(2));
    Run r = s.launch(kModes[0], compiled / "t", {"/bin/sh", "-c", "echo ran"});
    INFO(message << ": " << r.out << r.err);
    CHECK(r.exitCode == 125);
    CHECK(r.out.empty());
    CHECK(r.err.find(message) != std::string::npos);
    CHECK_FALSE(fs::exists(s.state / "signing-key.pem"));
  };
  nlohmann::json noExec = plan;
  noExec["tokens"][0].erase("toolExec");
  refused(noExec, "secret `t_token` is for tool `t`, which declares no `exec`");
  nlohmann::json shared = plan;
  nlohmann::json other = shared["task"]["tools"][0];
  other["name"] = "other";
  shared["task"]["tools"].push_back(other);
  refused(shared, "tools `t` and `other` both run /usr/bin/printenv");
  // A filter that denies the gate's calls, which sbxc refuses to compile (SBX0060): taken from a
  // task without tool tokens, with the plan's digest of it.
  ToolPolicy tokenless{"    exec \"/usr/bin/printenv\"", "", "allow getpid"};
  std::string text = tokenless.text();
  text.replace(text.find("    uses secret t_token\n"), 24, "");
  fs::path tokenlessPolicy = s.dir.path() / "tokenless.sbx", otherOut = s.dir.path() / "tokenless";
  writeText(tokenlessPolicy, text);
  REQUIRE(sbxc({"compile", tokenlessPolicy.string(), "-o", otherOut.string()}).exitCode == 0);
  fs::copy_file(otherOut / "t/seccomp.bpf", compiled / "t/seccomp.bpf", fs::copy_options::overwrite_existing);
  const nlohmann::json otherPlan = nlohmann::json::parse(readText(otherOut / "t/plan.json"));
  nlohmann::json denying = plan;
  denying["seccomp"] = otherPlan["seccomp"];
  refused(denying, "the task's syscall policy denies socket(AF_UNIX, SOCK_STREAM), connect, sendmsg");
}

TEST_CASE("tool tokens: a task without them gets no gate, copy or broker socket") {
  Scratch s(false);
  Run r = s.launch(kModes[0], sourceDir() / "examples/token-demo.sbx",
                   {"/bin/sh", "-c", "test -e /run/sbx && echo present || echo absent; cat /run/secrets/demo_token"});
  INFO(r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out.starts_with("absent\neyJ"));
  std::string audit = readText(s.audit);
  CHECK(audit.find("tool-gates") == std::string::npos);
  CHECK(audit.find("tool-token") == std::string::npos);
}

TEST_CASE("tool tokens: a gated tool's connections are still the tool's for the egress proxy") {
  HttpServer toolServer(28095);
  Scratch s(false);
  fs::path policy = s.dir.path() / "egress.sbx";
  writeText(policy, R"(import std.programs
task t {
  identity spiffe "spiffe://sbx.local/test"
  use programs.curl
  use programs.python3
  write workspace
  timeout 1m  # no shorter than the token it holds
  tool fetcher {
    description "Fetches from the tool's own service"
    exec "/usr/bin/curl"
    action get effect read
    connect "127.0.0.1:28095"
    uses secret fetch_token
  }
  secret fetch_token {
    source "broker://test/fetch"
    scope "fetch:read"
    audience "fetch.local"
    ttl 1m
  }
  syscalls { default errno EPERM }
  limits { memory 512MiB  pids 64 }
}
)");
  Run r = s.launch(kModes[0], policy,
                   {"/bin/sh", "-c",
                    "curl -s http://127.0.0.1:28095/; echo; python3 -c \"import urllib.request as u\n"
                    "try: u.urlopen('http://127.0.0.1:28095/')\nexcept Exception as e: print('python3:', e)\""});
  INFO(r.out << r.err);
  CHECK(r.out.find("hello from 28095") != std::string::npos);         // curl runs from its copy: the tool
  CHECK(r.out.find("python3: HTTP Error 403") != std::string::npos);  // python3 is not
  CHECK(toolServer.served() == 1);
  CHECK(readText(s.audit).find(R"("verdict":"allowed","rule":"127.0.0.1:28095","tool":"fetcher")") !=
        std::string::npos);
}
