#include "cli/policy_test_eval.h"

#include <fmt/format.h>

#include "plan/mount_order.h"

namespace sbx::cli {

namespace {

Outcome compare(bool passed, std::string expected, std::string got) {
  return {passed, std::move(expected), std::move(got)};
}

Outcome judgeTier(const Assertion& a, const TaskUnderTest& t) {
  int tier = t.report.of(t.index).tier;
  return compare(tier == a.tier, fmt::format("tier T{}", a.tier), fmt::format("tier T{}", tier));
}

Outcome judgeFinding(const Assertion& a, const TaskUnderTest& t, const SourceManager& sources) {
  std::string got = "absent";
  for (const auto& f : t.report.of(t.index).findings) {
    if (f.diagnostic.id != a.rule) continue;
    if (f.suppressedBy) {
      got = fmt::format("absent (suppressed: {})", f.suppressedBy->reason);
      continue;
    }
    const Span& s = f.diagnostic.span;
    got = s.valid() ? fmt::format("fires at {}:{}:{}", sources.file(s.file).path, s.line, s.col) : "fires";
    break;
  }
  bool fires = got.starts_with("fires");
  return compare(fires == a.fires, fmt::format("{} {}", a.rule, a.fires ? "fires" : "absent"),
                 fmt::format("{} {}", a.rule, got));
}

// What the sandbox sees at a path: the innermost mount of the plan over it (the list is
// parent-first, and a mask follows the bind of the same path), as the launcher mounts them.
Outcome judgePath(const Assertion& a, const TaskUnderTest& t) {
  const plan::Mount* over = nullptr;
  for (const auto& m : t.compiled.plan.mounts)
    if (plan::pathWithin(a.path, m.target)) over = &m;
  const char* verb = a.access == PathAccess::Read ? "read" : a.access == PathAccess::Write ? "write" : "exec";
  std::string got;
  bool allowed = false;
  if (!over) {
    got = "refused (no mount of the plan covers it)";
  } else if (over->type == plan::MountType::Mask) {
    got = fmt::format("refused (masked at {})", over->target);
  } else {
    bool writable = !over->readOnly, executable = !over->noexec;
    allowed = a.access == PathAccess::Read || (a.access == PathAccess::Write ? writable : executable);
    got = fmt::format("{} ({} mount at {}{}{})", allowed ? "allowed" : "refused",
                      over->type == plan::MountType::Tmpfs ? "scratch" : "a", over->target,
                      writable ? ", writable" : ", read-only", executable ? "" : ", noexec");
  }
  return compare(allowed == (a.verdict == Verdict::Allowed),
                 fmt::format("{} {} {}", verb, a.path, verdictName(a.verdict)),
                 fmt::format("{} {} {}", verb, a.path, got));
}

std::optional<Outcome> judgeDelegation(const Assertion& a, const TaskUnderTest& t, DiagnosticSink& diags) {
  const model::ResolvedTask& task = t.model.tasks[t.index];
  std::vector<std::string> names;
  for (const auto& d : task.delegations) {
    const model::ResolvedTask& target = t.model.tasks[d.task];
    if (d.target != a.delegation && target.name != a.delegation && target.qualifiedName != a.delegation) {
      names.push_back(d.target);
      continue;
    }
    std::string passed;
    if (std::find(d.passes.begin(), d.passes.end(), model::PassKind::Credentials) != d.passes.end())
      passed = d.secrets.empty() ? "every credential" : "";
    for (const auto& s : d.secrets) passed += fmt::format("{}secret `{}`", passed.empty() ? "" : ", ", s);
    std::string expected = a.passesCredential ? "passes credential" : "passes no credential";
    std::string got = passed.empty() ? "passes no credential" : "passes " + passed;
    return compare(passed.empty() != a.passesCredential, fmt::format("delegation {} {}", a.delegation, expected),
                   fmt::format("delegation {} {}", a.delegation, got));
  }
  auto& d = diags.report(Code::InvalidPolicyTest, a.subjectSpan,
                         fmt::format("task `{}` delegates to no task `{}`", task.name, a.delegation));
  if (auto m = closestMatch(a.delegation, names))
    d.help(fmt::format("did you mean `{}`?", *m));
  else
    d.help(names.empty() ? "the task declares no delegation" : "name one of its `delegate` targets");
  return std::nullopt;
}

}  // namespace

std::optional<Outcome> judge(const Assertion& a, const TaskUnderTest& t, const SourceManager& sources,
                             DiagnosticSink& diags) {
  switch (a.kind) {
    case AssertionKind::Tier:
      return judgeTier(a, t);
    case AssertionKind::Finding:
      return judgeFinding(a, t, sources);
    case AssertionKind::Path:
      return judgePath(a, t);
    case AssertionKind::Connect:
      return judgeConnect(a, t, diags);
    case AssertionKind::Request:
      return judgeRequest(a, t, diags);
    case AssertionKind::Syscall:
      return judgeSyscall(a, t, diags);
    case AssertionKind::Delegation:
      return judgeDelegation(a, t, diags);
  }
  return std::nullopt;
}

}  // namespace sbx::cli
