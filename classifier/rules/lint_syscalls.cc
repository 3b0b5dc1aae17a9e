// Lint of the syscall policy against the tier baseline (common/tables/baseline.def):
// dangerous-syscall (SBX1209), baseline-disabled (SBX1219) with what the baseline would change,
// missing-kill-on-violation (SBX1217).
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "tables/baseline.h"
#include "classifier/rules/context.h"
#include "model/model_json.h"

namespace sbx::classifier {

namespace {

bool permissive(model::SyscallActionKind k) {
  return k == model::SyscallActionKind::Allow || k == model::SyscallActionKind::Log ||
         k == model::SyscallActionKind::Notify;
}

// What the baseline would change in this policy, for the baseline-disabled note. The answer to
// unknown syscall numbers is part of the baseline at every tier, the rest from T1 on.
std::vector<std::string> baselineChanges(const model::SyscallPolicy& sys, int tier) {
  std::vector<std::string> out;
  if (sys.defaultAction.kind != model::SyscallActionKind::Errno || sys.defaultAction.errnoValue != ENOSYS)
    out.push_back(fmt::format("syscall numbers unknown to the syscall table would answer ENOSYS, not {}",
                              model::describeAction(sys.defaultAction)));
  std::string when = tier >= 1 ? "" : "from T1 on, ";
  for (const auto& r : sys.rules) {
    if (!permissive(r.action.kind)) continue;
    if (seccomp::isDangerousSyscall(r.syscall))
      out.push_back(fmt::format("{}`{}` would be denied", when, r.syscall));
    else if (seccomp::answersEnosys(r.syscall))
      out.push_back(fmt::format("{}`{}` would answer ENOSYS", when, r.syscall));
    else if (r.syscall == "clone" || r.syscall == "unshare")
      out.push_back(fmt::format("{}`{}` with namespace flags would be denied", when, r.syscall));
    else if (r.syscall == "ioctl")
      out.push_back(when + "ioctl TIOCSTI, TIOCLINUX and TIOCSETD would be denied (low 32 bits of arg1)");
    else if (r.syscall == "socket")
      out.push_back(when + "socket would be limited to the address families the task needs");
  }
  if (permissive(sys.defaultAction.kind))
    out.push_back(when + "every dangerous syscall the default allows would be denied");
  // One note per syscall: a syscall with several rules (socket by family) is named once.
  std::vector<std::string> unique;
  for (auto& change : out)
    if (std::find(unique.begin(), unique.end(), change) == unique.end()) unique.push_back(std::move(change));
  return unique;
}

}  // namespace

void lintSyscalls(const LintContext& c, FindingSink& sink) {
  const auto& t = c.task;
  const auto& sys = t.syscalls;
  int tier = c.report.tier;
  if (tier >= rule(RuleId::DangerousSyscall).tier)
    for (const auto& r : sys.rules)
      if (permissive(r.action.kind) && seccomp::isDangerousSyscall(r.syscall))
        sink.add(
            RuleId::DangerousSyscall, r.origin.span,
            fmt::format("task {} is T{} but allows `{}`{}", ticked(t.name), tier, r.syscall,
                        sys.baseline == model::Switch::On ? "; the tier baseline denies it regardless"
                                                          : ", and with the baseline off the filter lets it through"));
  if (tier >= rule(RuleId::BaselineDisabled).tier && sys.baseline == model::Switch::Off) {
    auto& d = sink.add(RuleId::BaselineDisabled, sys.baselineOrigin.span,
                       fmt::format("task {} (T{}) switches off the syscall baseline", ticked(t.name), tier));
    for (const auto& change : baselineChanges(sys, tier)) d.note("with the baseline on, " + change);
  }
  if (tier >= rule(RuleId::MissingKillOnViolation).tier && sys.defaultAction.kind != model::SyscallActionKind::Kill)
    sink.add(RuleId::MissingKillOnViolation,
             sys.declared && sys.defaultOrigin.span.valid() ? sys.defaultOrigin.span : t.span,
             fmt::format("task {} is T4 but a syscall outside its policy is answered with {} rather than killed",
                         ticked(t.name), model::describeAction(sys.defaultAction)));
}

}  // namespace sbx::classifier
