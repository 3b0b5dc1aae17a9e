// `sbxc test` (issue 19, point 1): a failing assertion exits 1 naming its line, expected and got;
// a malformed test file exits 2 with file:line:col and runs nothing; JSON and JUnit output (the
// JUnit parsed by Python's xml module, as a CI system would); syscalls judged on the compiled
// filter, request rules by the inspector's own matcher.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

using namespace sbx::test;

namespace {

const char* kPolicy = R"(import std.syscalls

task agent {
  read "/usr"
  write workspace
  connect "api.example.com:443"
  tool fetch {
    exec "/usr/bin/curl"
    system "items.example.com" test
    action list effect read {
      request GET "https://items.example.com/items"
    }
    action drop effect write reversible approval {
      request DELETE "https://items.example.com/items/{id}"
    }
    connect "items.example.com:443"
  }
  delegate helper passing outputs
  syscalls {
    default errno EPERM
    allow @syscalls.default, @syscalls.basic-io
    kill ptrace
  }
}

task helper {
  write workspace
}
)";

struct Fixture {
  TempDir dir;
  std::string policy = (dir.path() / "agent.sbx").string();
  std::string tests = (dir.path() / "agent.sbxtest").string();

  Run test(const std::string& lines, const std::vector<std::string>& options = {}) {
    writeText(policy, kPolicy);
    writeText(tests, lines);
    std::vector<std::string> args{"test"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back("agent.sbxtest");  // relative to the directory it runs in, as the report shows it
    return sbxc(args, "", dir.path().string());
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const char* kPassing = R"(task agent
  tier T2
  read "/usr/bin/env" allowed
  write "/usr/bin/env" refused
  exec "/workspace/run.sh" refused
  connect api.example.com:443 allowed
  connect items.example.com:443 tool fetch allowed
  connect items.example.com:443 refused
  request GET https://items.example.com/items tool fetch allowed
  request DELETE https://items.example.com/items/3 tool fetch approval
  request POST https://items.example.com/items tool fetch refused
  syscall read(0, 0, 0) allow
  syscall ptrace kill
  syscall mount errno EPERM
  delegation helper passes no credential
)";

}  // namespace

TEST_CASE("test: every kind of assertion passes on a policy that holds it; exit 0 and the count") {
  Fixture f;
  Run r = f.test(kPassing);
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(has(r.out, "PASS agent.sbxtest:13 syscall ptrace kill\n"));
  CHECK(has(r.out, "PASS agent.sbxtest:10 request DELETE https://items.example.com/items/3 tool fetch approval\n"));
  CHECK(r.out.ends_with("14 passed, 0 failed\n"));
}

TEST_CASE("test: a failing assertion exits 1 with its line, what was expected and what the policy does") {
  Fixture f;
  Run r = f.test("task agent\n  tier T2\n  connect evil.example:443 allowed\n  syscall ptrace allow\n");
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  CHECK(has(r.out, "PASS agent.sbxtest:2 tier T2\n"));
  CHECK(has(r.out,
            "FAIL agent.sbxtest:3 connect evil.example:443 allowed: expected connect evil.example:443 allowed, "
            "got connect evil.example:443 refused (no destination allows it)\n"));
  // Judged on the compiled filter: ptrace is killed, the action the program returns.
  CHECK(has(r.out,
            "FAIL agent.sbxtest:4 syscall ptrace allow: expected syscall ptrace allow, got syscall ptrace kill\n"));
  CHECK(r.out.ends_with("1 passed, 2 failed\n"));
}

TEST_CASE("test: a malformed line exits 2 with file:line:col and a fix, and runs nothing") {
  Fixture f;
  Run r = f.test("task agent\n  tier T2\n  syscall ptrase kill\n  connect nowhere allowed\n");
  INFO(r.out << r.err);
  CHECK(r.exitCode == 2);
  CHECK(r.out.empty());
  CHECK(has(r.err, "agent.sbxtest:3:11: error[SBX0067]: unknown syscall `ptrase`"));
  CHECK(has(r.err, "did you mean `ptrace`?"));
  CHECK(has(r.err, "agent.sbxtest:4:11: error[SBX0067]: `nowhere` is not a destination"));
  CHECK(has(r.err, "no test was run"));
}

TEST_CASE("test: a name the policy lacks is invalid input at its column, with a did-you-mean") {
  Fixture f;
  Run r = f.test("task agnet\n  tier T2\n");
  CHECK(r.exitCode == 2);
  CHECK(has(r.err, "agent.sbxtest:1:6: error[SBX0067]: `agent.sbx` declares no task `agnet`"));
  CHECK(has(r.err, "did you mean `agent`?"));
  Run tool = f.test("task agent\n  connect items.example.com:443 tool fetcher allowed\n");
  CHECK(tool.exitCode == 2);
  CHECK(has(tool.err, "agent.sbxtest:2:38: error[SBX0067]: task `agent` has no tool `fetcher`"));
  Run rule = f.test("task agent\n  finding wildcard-egres fires\n");
  CHECK(rule.exitCode == 2);
  CHECK(has(rule.err, "agent.sbxtest:2:11: error[SBX0067]: `wildcard-egres` is not a rule that reports findings"));
  CHECK(has(rule.err, "did you mean `wildcard-egress`?"));
  Run url = f.test("task agent\n  request GET ftp://items.example.com/x tool fetch allowed\n");
  CHECK(url.exitCode == 2);
  CHECK(has(url.err,
            "agent.sbxtest:2:15: error[SBX0067]: `ftp://items.example.com/x` is not a URL sbx-inspect would judge"));
  Run before = f.test("tier T2\n");
  CHECK(before.exitCode == 2);
  CHECK(has(before.err, "agent.sbxtest:1:1: error[SBX0067]: this assertion comes before any `task` line"));
}

TEST_CASE("test: --format json lists every test with its status, expected and got") {
  Fixture f;
  Run r = f.test("task agent\n  tier T2\n  tier T3\n", {"--format", "json"});
  CHECK(r.exitCode == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "sbxc.test/v1");
  REQUIRE(j["tests"].size() == 2);
  CHECK(j["tests"][1]["line"] == 3);
  CHECK(j["tests"][1]["col"] == 3);
  CHECK(j["tests"][1]["task"] == "agent");
  CHECK(j["tests"][1]["status"] == "fail");
  CHECK(j["tests"][1]["expected"] == "tier T3");
  CHECK(j["tests"][1]["got"] == "tier T2");
  CHECK(j["summary"]["passed"] == 1);
  CHECK(j["summary"]["failed"] == 1);
}

TEST_CASE("test: --format junit is JUnit XML that Python's xml module reads, failures with their message") {
  Fixture f;
  Run r = f.test("task agent\n  tier T2\n  write \"/usr/x&y\" allowed\n", {"--format", "junit"});
  CHECK(r.exitCode == 1);
  writeText(f.dir.path() / "report.xml", r.out);
  const char* script = R"(import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
assert (root.get("tests"), root.get("failures")) == ("2", "1"), root.attrib
[suite] = root.findall("testsuite")
cases = suite.findall("testcase")
assert [c.find("failure") is None for c in cases] == [True, False]
message = cases[1].find("failure").get("message")
assert message.startswith('expected write /usr/x&y allowed, got write /usr/x&y refused'), message
print("ok")
)";
  Run check = run({"/usr/bin/python3", "-c", script, (f.dir.path() / "report.xml").string()});
  INFO(r.out << check.err);
  CHECK(check.exitCode == 0);
  CHECK(check.out == "ok\n");
}

TEST_CASE("test: a directory is searched for *.sbxtest; a policy names its tests; none found is a usage error") {
  Fixture f;
  f.test(kPassing);
  Run dir = sbxc({"test", f.dir.path().string()});
  CHECK(dir.exitCode == 0);
  CHECK(dir.out.ends_with("14 passed, 0 failed\n"));
  Run policy = sbxc({"test", f.policy});
  CHECK(policy.exitCode == 0);
  TempDir empty;
  Run none = sbxc({"test", empty.path().string()});
  CHECK(none.exitCode == 3);
  CHECK(has(none.err, "no policy tests (*.sbxtest)"));
}

TEST_CASE("test: a policy that does not resolve is invalid input") {
  Fixture f;
  writeText(f.dir.path() / "broken.sbx", "task t {\n  read \"relative\"\n}\n");
  writeText(f.dir.path() / "broken.sbxtest", "task t\n  tier T0\n");
  Run r = sbxc({"test", (f.dir.path() / "broken.sbxtest").string()});
  CHECK(r.exitCode == 2);
  CHECK(has(r.err, "error[SBX0042]"));
  CHECK(r.out.empty());
}
