// Parsing, resolution and the model: imports, profiles, groups, precedence, references.
#include <doctest/doctest.h>

#include <algorithm>

#include "frontend/frontend.h"
#include "support/load_text.h"
#include "support/paths.h"

using sbx::test::filesUnder;
using sbx::test::TempDir;
using sbx::test::writeText;

using namespace sbx;
namespace fs = std::filesystem;

namespace {

using sbx::test::ids;
using sbx::test::load;
using sbx::test::Loaded;

const model::ResolvedTask& only(const Loaded& l) {
  REQUIRE(l.result.model);
  REQUIRE(!l.result.model->tasks.empty());
  return l.result.model->tasks[0];
}

}  // namespace

TEST_CASE("a complete task resolves into the model") {
  auto l = load(R"(
task triage {
  description "Summarise tickets"
  owner "support"
  identity spiffe "spiffe://acme.example/agents/triage"
  timeout 10m
  expect tier 3
  maturity novel
  facing external
  input tickets untrusted confidential from ticket at "https://tickets.example"
  read "/usr", "/etc/ssl/certs"
  write workspace
  exec "/usr/bin/python3"
  scratch "/tmp" size 64MiB
  mask "/proc/kcore"
  env LANG, MODE = "fast"
  tool api {
    exec "/usr/bin/curl"
    system "tickets" production
    action list effect read
    action label effect write reversible
    action close effect delete irreversible approval by "leads"
    connect "tickets.example:443"
    uses secret token
  }
  secret token {
    source "broker://tickets"
    scope "tickets:read", "tickets:label"
    audience "tickets.example"
    ttl 10m
    expose file for api
  }
  syscalls {
    default errno EPERM
    allow read, write
    allow socket if arg0 in {AF_UNIX, AF_INET}
    errno EPERM ioctl if arg1:32 & 0xffffffff == TIOCSTI
    kill ptrace
  }
  limits { memory 512MiB pids 64 cpu 60s files 256 filesize 1GiB }
}
)");
  CHECK(ids(l->result).empty());
  const auto& t = only(*l);
  CHECK(t.name == "triage");
  CHECK(t.identity->kind == model::IdentityKind::Spiffe);
  CHECK(t.timeoutMs->value == 600'000u);
  CHECK(t.expectedTier->value == 3);
  CHECK(t.inputs.at(0).trust == model::Trust::Untrusted);
  CHECK(t.inputs.at(0).source == model::InputSource::Ticket);
  CHECK(t.paths.size() == 4);
  CHECK(
      std::any_of(t.paths.begin(), t.paths.end(), [](const auto& p) { return p.workspace && p.path == "/workspace"; }));
  CHECK(t.scratch.at(0).sizeBytes == 64ull << 20);
  CHECK(t.env.at(1).value == "fast");
  REQUIRE(t.tools.size() == 1);
  CHECK(t.tools[0].environment == model::SystemEnvironment::Production);
  CHECK(t.tools[0].actions.at(2).approval);
  CHECK(t.tools[0].actions.at(2).approver == "leads");
  CHECK(t.tools[0].egress.at(0).tool == "api");
  CHECK(t.secrets.at(0).exposure->target == "/run/secrets/token");
  CHECK(t.secrets.at(0).exposure->tool == "api");
  CHECK(t.syscalls.defaultAction.errnoValue == 1);
  REQUIRE(t.syscalls.rules.size() == 5);
  const auto& ioctl = t.syscalls.rules[3];
  CHECK(ioctl.syscall == "ioctl");
  CHECK(ioctl.conditions.at(0).width == 32);
  CHECK(ioctl.conditions.at(0).op == model::CompareOp::MaskedEq);
  CHECK(ioctl.conditions.at(0).values.at(0) == 0x5412u);
  CHECK(t.syscalls.rules[2].conditions.at(0).values.size() == 2);
  CHECK(t.limits.pids->value == 64u);
  CHECK(t.limits.cpuMs->value == 60'000u);
}

TEST_CASE("stdlib groups expand, and direct rules override group rules") {
  auto l = load(R"(
import std.syscalls
task t {
  syscalls {
    allow @syscalls.basic-io
    errno EPERM write
  }
}
)");
  CHECK(ids(l->result).empty());
  const auto& rules = only(*l).syscalls.rules;
  auto write = std::find_if(rules.begin(), rules.end(), [](const auto& r) { return r.syscall == "write"; });
  REQUIRE(write != rules.end());
  CHECK(write->action.kind == model::SyscallActionKind::Errno);
  CHECK(std::count_if(rules.begin(), rules.end(), [](const auto& r) { return r.syscall == "write"; }) == 1);
  auto read = std::find_if(rules.begin(), rules.end(), [](const auto& r) { return r.syscall == "read"; });
  REQUIRE(read != rules.end());
  CHECK(read->groups == std::vector<std::string>{"syscalls.basic-io"});
}

TEST_CASE("profiles merge into tasks and the task overrides them") {
  auto l = load(R"(
profile base {
  read "/usr"
  timeout 1m
  syscalls { default kill allow read }
}
task t {
  use base
  timeout 5m
  syscalls { errno EPERM read }
}
)");
  CHECK(ids(l->result).empty());
  const auto& t = only(*l);
  CHECK(t.profiles == std::vector<std::string>{"base"});
  CHECK(t.timeoutMs->value == 300'000u);
  CHECK(t.paths.at(0).origin.via == std::vector<std::string>{"base"});
  CHECK(t.syscalls.defaultAction.kind == model::SyscallActionKind::Kill);
  REQUIRE(t.syscalls.rules.size() == 1);
  CHECK(t.syscalls.rules[0].action.kind == model::SyscallActionKind::Errno);
}

TEST_CASE("a profile reached twice contributes once, and a task may resize a profile's scratch") {
  auto l = load(R"(
profile base { scratch "/tmp" size 64MiB tool t { exec "/bin/true" } }
profile a { use base }
profile b { use base }
task x { use a, b scratch "/tmp" size 1GiB }
)");
  CHECK(ids(l->result).empty());
  const auto& t = only(*l);
  CHECK(t.tools.size() == 1);
  REQUIRE(t.scratch.size() == 1);
  CHECK(t.scratch[0].sizeBytes == 1ull << 30);
  CHECK(ids(load("profile p { scratch \"/tmp\" } profile q { scratch \"/tmp\" } task x { use p, q }")->result) ==
        std::vector<std::string>{"SBX0031"});
}

TEST_CASE("conflicts and cycles are errors") {
  CHECK(ids(load("task t { syscalls { allow read errno EPERM read } }")->result) ==
        std::vector<std::string>{"SBX0052"});
  CHECK(ids(load("profile a { use b } profile b { use a } task t { use a }")->result) ==
        std::vector<std::string>{"SBX0033"});
  CHECK(ids(load("group a { @b } group b { @a } task t { syscalls { allow @a } }")->result) ==
        std::vector<std::string>{"SBX0033"});
  CHECK(ids(load("profile a { timeout 1m } profile b { timeout 2m } task t { use a, b }")->result) ==
        std::vector<std::string>{"SBX0045"});
}

TEST_CASE("references are resolved with suggestions") {
  auto l = load("task t { tool a { uses secret tokn } secret token { source \"b://x\" } }");
  auto diags = l->result.diagnostics.sorted();
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].id == "SBX0030");
  CHECK(diags[0].helps.at(0) == "did you mean `token`?");
  CHECK(ids(load("task t { delegate nobody }")->result) == std::vector<std::string>{"SBX0030"});
  CHECK(ids(load("profile p { } task t { delegate p }")->result) == std::vector<std::string>{"SBX0032"});
  CHECK(ids(load("task t { syscalls { allow reed } }")->result) == std::vector<std::string>{"SBX0034"});
}

TEST_CASE("delegation targets join the model, cycles included") {
  auto l = load("task a { delegate b passing outputs, secret s secret s { source \"b://s\" } } task b { delegate a }");
  CHECK(ids(l->result).empty());
  REQUIRE(l->result.model->tasks.size() == 2);
  const auto& a = l->result.model->tasks[0];
  CHECK(a.delegations.at(0).task == 1);
  CHECK(a.delegations.at(0).secrets == std::vector<std::string>{"s"});
  CHECK(l->result.model->tasks[1].delegations.at(0).task == 0);
}

TEST_CASE("relative imports, aliases and import cycles") {
  TempDir dir;
  writeText(dir.path() / "lib/common.sbx", "profile base { read \"/usr\" }\ntask reviewer { read \"/srv\" }\n");
  writeText(
      dir.path() / "main.sbx",
      "import \"lib/common.sbx\"\nimport \"lib/common.sbx\" as c2\ntask t { use common.base delegate c2.reviewer }\n");
  frontend::Session s;
  auto r = s.load((dir.path() / "main.sbx").string());
  CHECK(ids(r).empty());
  REQUIRE(r.model);
  REQUIRE(r.model->tasks.size() == 2);
  CHECK(!r.model->tasks[1].root);
  CHECK(r.model->tasks[1].qualifiedName == "c2.reviewer");

  writeText(dir.path() / "x.sbx", "import \"y.sbx\"\ntask x { }\n");
  writeText(dir.path() / "y.sbx", "import \"x.sbx\"\ntask y { }\n");
  auto cyc = s.load((dir.path() / "x.sbx").string());
  auto found = ids(cyc);
  CHECK(std::find(found.begin(), found.end(), "SBX0022") != found.end());
}

TEST_CASE("every error in a file is reported, not only the first") {
  auto l = load(
      "task a {\n  timout 1m\n  read \"rel\"\n  limits { memory 5 }\n  connect \"x\"\n}\ntask b { expect tier 9 }\n");
  CHECK(ids(l->result) == std::vector<std::string>{"SBX0011", "SBX0042", "SBX0041", "SBX0043", "SBX0046"});
}

TEST_CASE("hidden text is an error, even in comments and strings") {
  for (const char* text : {"# \u202e comment\ntask t { }\n", "task t { description \"a\u200bb\" }\n",
                           "task t {\u2066 }\n", "task t { }\x01\n"}) {
    CAPTURE(text);
    auto l = load(text);
    CHECK(l->result.diagnostics.hasErrors());
    CHECK(!l->result.model);
  }
  auto bad = load("task t { description \"\xff\" }\n");
  CHECK(ids(bad->result) == std::vector<std::string>{"SBX0001"});
}

TEST_CASE("every example and stdlib module resolves without errors") {
  frontend::Session s;
  for (const auto& file : filesUnder(sbx::test::sourceDir() / "examples", ".sbx")) {
    CAPTURE(file.string());
    auto r = s.load(file.string());
    CHECK(!r.diagnostics.hasErrors());
  }
  for (const auto& file : filesUnder(sbx::test::sourceDir() / "stdlib-policies", ".sbx")) {
    CAPTURE(file.string());
    auto r = s.load(file.string());
    CHECK(!r.diagnostics.hasErrors());
  }
}
