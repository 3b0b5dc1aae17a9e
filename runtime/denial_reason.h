// Why the task's filter denied a held call, in the policy's words, and the line that would allow
// it: the tier's baseline (docs/seccomp.md), the filter's default action, or a rule of the task.
// The compiled filter keeps no record of which rule produced which return (the profile beside it,
// seccomp.json, is flattened), so the rule is told apart from the default by its action, and the
// baseline by its tables (common/tables/baseline.def).
#pragma once
#include <cstdint>
#include <string>

#include "plan/plan.h"
#include "runtime/syscall_decode.h"

namespace sbx::run {

struct DenialReason {
  std::string action;  // "errno EPERM", "kill", "notify"
  std::string rule;    // "not allowed" (the default), "denied by the rule 'errno ENOSYS clone3'", ...
  std::string fix;     // "to allow it add 'allow chroot' to syscalls"
  bool quiet = false;  // an answer that is no refusal (ENOSYS so that libc falls back): audited only
};

// `action`: what the task's filter returns for `call`; `memfdGuard`: the call is refused by the
// launcher's executable-memfd guard (hardening.h), not by the task's filter.
DenialReason denialReason(const plan::SeccompEntry& seccomp, const HeldCall& call, const std::string& name,
                          std::uint32_t action, bool memfdGuard);

// "errno EPERM", "kill", "notify", as the policy spells the action.
std::string actionText(std::uint32_t action);

}  // namespace sbx::run
