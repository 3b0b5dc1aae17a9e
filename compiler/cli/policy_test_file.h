// The policy test file (`NAME.sbxtest`, beside `NAME.sbx`; docs/testing.md): one assertion a
// line about the compiled policy, grouped under `task NAME` lines. This reads and checks the
// text; policy_test_eval.h judges each assertion on the compiled task.
//
//   task review_pull_request
//     tier T4
//     finding untrusted-input-reaches-egress fires      (or: absent)
//     read "/etc/passwd" refused                        (read | write | exec, allowed | refused)
//     connect api.github.com:443 tool gh allowed        (tool NAME: as that tool's process)
//     request GET https://api.github.com/repos/a/b tool gh approval   (allowed | refused | approval)
//     syscall socket(AF_INET, SOCK_STREAM, 0) errno EPERM   (allow | errno [N] | kill | trap | log | notify)
//     delegation reviewer passes no credential          (or: passes credential)
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostic.h"

namespace sbx::cli {

enum class AssertionKind { Tier, Finding, Path, Connect, Request, Syscall, Delegation };
enum class PathAccess { Read, Write, Exec };
enum class Verdict { Allowed, Refused, Approval };

struct Assertion {
  AssertionKind kind = AssertionKind::Tier;
  std::string task;  // the `task` line above it
  Span taskSpan;     // its name there
  Span span;         // the whole assertion, in the test file
  Span subjectSpan;  // what it names (a task, a rule, a tool, a delegation): unknown names point here
  std::string text;  // the line without its comment: the test's name
  int tier = 0;
  std::string rule;  // a finding's rule id, "SBX1203"
  bool fires = true;
  PathAccess access = PathAccess::Read;
  std::string path;
  std::string host;  // connect and request
  std::uint16_t port = 0;
  std::string tool;  // connect and request: the tool whose process asks; empty: the task's
  std::string method, url;
  Span urlSpan;
  Verdict verdict = Verdict::Allowed;
  std::string syscall;
  std::string call;  // as written: "socket(AF_INET, SOCK_STREAM, 0)"
  std::vector<std::uint64_t> args;
  std::string action;  // "allow", "errno", "kill", "trap", "log", "notify"
  std::optional<int> errnoValue;
  std::string delegation;
  bool passesCredential = false;
};

// Parses the file `file` of `sources`; every malformed line is a diagnostic in `diags`
// (invalid-policy-test, with the column and the expected form).
std::vector<Assertion> parsePolicyTests(FileId file, const SourceManager& sources, DiagnosticSink& diags);

std::string verdictName(Verdict verdict);

}  // namespace sbx::cli
