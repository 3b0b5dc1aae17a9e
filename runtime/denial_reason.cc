#include "runtime/denial_reason.h"

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "bpf/native_arch.h"
#include "tables/baseline.h"

namespace sbx::run {

namespace {

using seccomp::kNativeArch;

std::string errnoText(int e) {
  const char* name = strerrorname_np(e);
  return name ? fmt::format("errno {}", name) : fmt::format("errno {}", e);
}

// The baseline's part in a denial, empty when it had none.
std::string baselineRule(const plan::SeccompEntry& seccomp, const HeldCall& call, const std::string& name,
                         std::uint32_t action, DenialReason& why) {
  if (seccomp.tier < 1) return "";
  std::string tier = fmt::format("T{}", seccomp.tier);
  bool enosys = action == (SECCOMP_RET_ERRNO | ENOSYS);
  if (seccomp::answersEnosys(name) && enosys) {
    why.quiet = true;
    why.fix = "nothing to do: callers fall back to an older call";
    return fmt::format("answered ENOSYS by the {} baseline", tier);
  }
  std::string overridden = "'allow' cannot override the baseline; only 'baseline off' in syscalls would";
  if (seccomp::isDangerousSyscall(name)) {
    why.fix = overridden;
    return fmt::format("denied by the {} baseline ({} is in its dangerous set)", tier, name);
  }
  if ((name == "clone" || name == "unshare") && (call.args[0] & seccomp::cloneNamespaceFlags())) {
    why.fix = overridden;
    return fmt::format("denied by the {} baseline (it would create namespaces)", tier);
  }
  if (name == "ioctl")
    for (const auto& request : seccomp::deniedIoctls())
      if (static_cast<std::uint32_t>(call.args[1]) == request.value) {
        why.fix = overridden;
        return fmt::format("denied by the {} baseline (ioctl {})", tier, request.name);
      }
  if (name == "socket" && action == (SECCOMP_RET_ERRNO | EAFNOSUPPORT)) {
    why.fix = "a task may create the families it needs: AF_INET and AF_INET6 with egress or host network";
    return fmt::format("denied by the {} baseline (an address family the task does not need)", tier);
  }
  return "";
}

// The plan's default action ("errno 1", "kill") as actionText spells it.
std::string planActionText(const std::string& action) {
  if (action.starts_with("errno ")) return errnoText(std::atoi(action.c_str() + 6));
  return action;
}

}  // namespace

std::string actionText(std::uint32_t action) {
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
      return "kill";
    case SECCOMP_RET_USER_NOTIF:
      return "notify";
    case SECCOMP_RET_ERRNO:
      return errnoText(static_cast<int>(action & SECCOMP_RET_DATA));
    default:
      return fmt::format("action {:#x}", action);
  }
}

DenialReason denialReason(const plan::SeccompEntry& seccomp, const HeldCall& call, const std::string& name,
                          std::uint32_t action, bool memfdGuard) {
  DenialReason why{actionText(action), "", fmt::format("to allow it add 'allow {}' to syscalls", name)};
  if (call.arch != kNativeArch || (call.nr & 0x40000000u)) {
    why.rule = fmt::format("a call through another ABI (foreign-arch {})", seccomp.foreignArchAction);
    why.fix = "calls through another ABI cannot be allowed";
  } else if (memfdGuard) {
    why.rule = "an executable memfd, which sbx-run refuses where a writable mount allows exec";
    why.fix = "create it with MFD_NOEXEC_SEAL";
  } else if (std::string baseline = baselineRule(seccomp, call, name, action, why); !baseline.empty()) {
    why.rule = baseline;
  } else if (why.action == planActionText(seccomp.defaultAction)) {
    why.rule = "not allowed";
  } else {
    why.rule = fmt::format("denied by the rule '{} {}'", why.action, name);
  }
  if (why.action == "notify")
    why.rule += "; the supervisor refuses it (EPERM): no policy tells it to let a call run";
  else if (why.action == "kill")
    why.rule += "; the task was killed";
  return why;
}

}  // namespace sbx::run
