#include "exporters/systemd_syscalls.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace sbx::exporters {

namespace {

using Json = nlohmann::ordered_json;

// systemd 252 (Debian 12) allows these in every allow-list filter, whatever the list says
// (`systemd-analyze syscall-filter @default`).
constexpr std::string_view kAlwaysAllowed =
    "arch_prctl brk cacheflush clock_getres clock_getres_time64 clock_gettime clock_gettime64 "
    "clock_nanosleep clock_nanosleep_time64 execve exit exit_group futex futex_time64 futex_waitv "
    "get_robust_list get_thread_area getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups "
    "getgroups32 getpgid getpgrp getpid getppid getrandom getresgid getresgid32 getresuid "
    "getresuid32 getrlimit getsid gettid gettimeofday getuid getuid32 membarrier mmap mmap2 mprotect "
    "munmap nanosleep pause prlimit64 restart_syscall riscv_flush_icache riscv_hwprobe rseq "
    "rt_sigreturn sched_getaffinity sched_yield set_robust_list set_thread_area set_tid_address "
    "set_tls sigreturn time ugetrlimit uretprobe";

std::string errnoName(int number) {
  const char* name = strerrorname_np(number);
  return name ? name : std::to_string(number);
}

// What one rule of the profile does, in systemd's words: "allow", "log", "kill", "trap",
// "notify" or an errno name ("EPERM").
std::string answerOf(const Json& rule, const std::string& actionKey, const std::string& errnoKey) {
  auto actionIt = rule.find(actionKey), errnoIt = rule.find(errnoKey);
  std::string action = actionIt == rule.end() ? "" : actionIt->get<std::string>();
  if (action == "SCMP_ACT_ERRNO") {
    return errnoName(errnoIt == rule.end() ? 1 : errnoIt->get<int>());
  }
  if (action == "SCMP_ACT_ALLOW") return "allow";
  if (action == "SCMP_ACT_LOG") return "log";
  if (action == "SCMP_ACT_NOTIFY") return "notify";
  if (action == "SCMP_ACT_TRAP") return "trap";
  return "kill";
}

// systemd's filter knows errno, kill and allow: a trap kills, a notification (no agent) is refused.
std::string systemdAnswer(const std::string& answer) {
  if (answer == "trap") return "kill";
  if (answer == "notify") return "EPERM";
  return answer;
}

std::string answerOfAction(seccomp::Action action) {
  switch (action & 0xffff0000u) {
    case seccomp::kAllow:
      return "allow";
    case seccomp::kLog:
      return "log";
    case seccomp::kNotify:
      return "notify";
    case seccomp::kTrap:
      return "trap";
    case 0x00050000u:
      return errnoName(static_cast<int>(action & 0xffffu));
    default:
      return "kill";
  }
}

bool permits(const std::string& answer) {
  return answer == "allow" || answer == "log";
}

// How sbxc's filter decides one call: its answers, and whether they depend on the arguments.
struct Decision {
  std::set<std::string> answers;
  bool byArguments = false;
  bool anyPermitted() const {
    return std::any_of(answers.begin(), answers.end(), [](const std::string& a) { return permits(a); });
  }
};

bool alwaysAllowed(const std::string& name) {
  auto all = systemdAlwaysAllowed();
  return std::find(all.begin(), all.end(), name) != all.end();
}

// What the directives other than SystemCallFilter= make of a call, when they decide it.
std::string otherDirectiveAnswer(const std::string& name) {
  if (name == "clone3") return "ENOSYS";                     // RestrictNamespaces=: libc falls back to clone
  if (name == "unshare" || name == "setns") return "EPERM";  // RestrictNamespaces=
  return "";
}

// Why a call allowed whatever its arguments is less than it seems, where another directive
// makes the same decision the filter's arguments made.
std::string argumentNote(const std::string& name) {
  if (name == "clone") return "; RestrictNamespaces= still refuses namespace flags";
  if (name == "socket" || name == "socketpair") return "; RestrictAddressFamilies= still limits the families";
  if (name == "ioctl")
    return "; TIOCSTI, TIOCLINUX and TIOCSETD find no terminal: the service's input is /dev/null and PrivateDevices= "
           "leaves no "
           "console";
  return "";
}

// Lines of at most about 100 characters: `prefix` + names, one directive per line (systemd merges them).
void wrapped(const std::string& directive, const std::string& prefix, const std::vector<std::string>& words,
             std::vector<std::string>& lines) {
  std::string line;
  for (const auto& w : words) {
    if (!line.empty() && line.size() + w.size() > 100) {
      lines.push_back(line);
      line.clear();
    }
    line += line.empty() ? directive + "=" + prefix + w : " " + w;
  }
  if (!line.empty()) lines.push_back(line);
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::vector<std::string> systemdAlwaysAllowed() {
  std::vector<std::string> out;
  std::istringstream words{std::string(kAlwaysAllowed)};
  for (std::string w; words >> w;) out.push_back(w);
  return out;
}

std::vector<std::string> systemdSyscallDirectives(const Json& profile, const seccomp::FilterSpec& spec,
                                                  std::vector<Loss>& losses) {
  std::string fallback = answerOfAction(spec.defaultAction);
  std::set<std::string> existing;  // on the filter's architectures
  for (const auto& arch : spec.arches) existing.insert(arch.names.begin(), arch.names.end());
  std::string unknown = answerOf(profile, "defaultAction", "defaultErrnoRet");
  std::map<std::string, Decision> decisions;
  for (const auto& rule : profile["syscalls"])
    for (const auto& name : rule["names"]) {
      Decision& d = decisions[name.get<std::string>()];
      d.answers.insert(answerOf(rule, "action", "errnoRet"));
      d.byArguments |= rule.contains("args");
    }
  // A syscall the profile does not name gets the profile's default (clone3 and io_uring_*: ENOSYS).
  for (const auto& name : existing)
    if (!decisions.contains(name)) decisions[name].answers.insert(unknown);

  std::vector<std::string> lines, listed, logged, broadened, answeredOtherwise, unlogged;
  auto differs = [&](const std::string& name, const std::string& theirs, const Decision& d) {
    std::string ours = d.byArguments || d.answers.size() != 1 ? "" : *d.answers.begin();
    if (ours != theirs)
      answeredOtherwise.push_back(fmt::format("{} answers {}{}", name, theirs,
                                              ours.empty() ? " whatever its arguments" : " instead of " + ours));
  };
  for (const auto& [name, d] : decisions)
    if (d.answers.contains("log")) logged.push_back(name);

  if (!permits(fallback)) {
    // An allow list: what the filter lets run (under some arguments at least), and clone3, which
    // RestrictNamespaces= answers ENOSYS as sbxc's baseline does.
    for (const auto& [name, d] : decisions) {
      std::string other = otherDirectiveAnswer(name);
      if (name == "clone3") {
        listed.push_back(name);
        differs(name, other, d);
      } else if (d.anyPermitted()) {
        if (!other.empty()) {
          differs(name, other, d);
          continue;
        }
        listed.push_back(name);
        if (d.byArguments || d.answers.size() > 1)
          broadened.push_back(fmt::format("{} (allowed whatever its arguments{})", name, argumentNote(name)));
      } else if (alwaysAllowed(name)) {
        broadened.push_back(fmt::format("{} (systemd always allows it)", name));
      } else {
        differs(name, other.empty() ? systemdAnswer(fallback) : other, d);
      }
    }
    wrapped("SystemCallFilter", "", listed, lines);
    if (systemdAnswer(fallback) == "kill")
      lines.push_back("# SystemCallErrorNumber= unset: a call outside the list kills the process.");
    else
      lines.push_back("SystemCallErrorNumber=" + systemdAnswer(fallback));
    // systemd answers ENOSYS to the calls its table does not know, newer than it: the answer sbxc's
    // baseline gives numbers it does not know.
    if (unknown != "ENOSYS")
      answeredOtherwise.push_back("calls newer than systemd's table may answer ENOSYS instead of " + unknown);
    if (fallback != systemdAnswer(fallback))
      losses.push_back(lost(Control::SyscallDefaultAction, fmt::format("the default action `{}`", fallback),
                            fmt::format("systemd has no {}: a call outside the list {} instead",
                                        fallback == "trap" ? "SIGSYS handler action" : "seccomp agent",
                                        systemdAnswer(fallback) == "kill" ? "kills the process" : "fails with EPERM")));
  } else {
    // A deny list: each call the filter refuses, with its answer (several answers, or one under
    // some arguments: refused with the first, which is stricter than sbxc, and reported).
    for (const auto& [name, d] : decisions) {
      std::string other = otherDirectiveAnswer(name);
      if (!other.empty()) {
        differs(name, other, d);
      } else if (!d.anyPermitted()) {
        std::string answer = systemdAnswer(*d.answers.begin());
        listed.push_back(name + ":" + answer);
        differs(name, answer, d);
      } else if (d.byArguments || d.answers.size() > 1) {
        broadened.push_back(fmt::format("{} (allowed whatever its arguments{})", name, argumentNote(name)));
      }
    }
    wrapped("SystemCallFilter", "~", listed, lines);
    if (fallback == "log") unlogged.push_back("every call the filter does not name (its default action is `log`)");
  }
  if (!logged.empty()) wrapped("SystemCallLog", "", logged, lines);
  if (!broadened.empty())
    losses.push_back(lost(
        Control::SyscallArguments, "syscalls decided by their arguments, or refused",
        "systemd filters by name only and always allows its @default set; allowed more broadly: " + joined(broadened)));
  if (!answeredOtherwise.empty())
    losses.push_back(
        lost(Control::SyscallAnswers, "the filter's answer to some syscalls",
             "systemd answers each by name, with one errno for the calls off its list: " + joined(answeredOtherwise)));
  if (!unlogged.empty())
    losses.push_back(
        lost(Control::SyscallLogging, "logging of calls", "SystemCallLog= is not written for " + joined(unlogged)));
  return lines;
}

}  // namespace sbx::exporters
