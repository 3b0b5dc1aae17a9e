#include "runtime/syscall_supervisor.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "bpf/native_arch.h"
#include "runtime/denial_filter.h"
#include "runtime/denial_reason.h"
#include "runtime/notify_rules.h"
#include "runtime/policy_learner.h"
#include "runtime/socket_broker.h"
#include "runtime/syscall_decode.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL  // Linux 6.9: a pidfd for a thread that is not its group's leader
#endif

// Linux 6.6: the kernel switches straight between a held caller and its supervisor on one CPU.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace sbx::run {

namespace {

bool isKill(std::uint32_t action) {
  action &= SECCOMP_RET_ACTION_FULL;
  return action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD;
}

// The errno the held call fails with: the filter's own, EPERM for notify (and for a kill, whose
// caller is being killed and never sees it).
int errnoFor(std::uint32_t action) {
  if ((action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) return static_cast<int>(action & SECCOMP_RET_DATA);
  return EPERM;
}

// Sends SIGKILL to the process of a held call, only while the notification (and so that very
// process, blocked in it) is still there.
bool killHeldProcess(int listener, std::uint64_t id, pid_t tid) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD));
  if (pidfd < 0) pidfd = static_cast<int>(syscall(SYS_pidfd_open, tid, 0));
  bool valid = ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
  bool killed = valid && (pidfd >= 0 ? syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0
                                     // No thread pidfds before Linux 6.9: the thread is held, so its id is still its.
                                     : kill(tid, SIGKILL) == 0);
  if (pidfd >= 0) ::close(pidfd);
  return killed;
}

}  // namespace

SyscallSupervisor::SyscallSupervisor(int listener, const CompiledTask& task, std::vector<sock_filter> filter,
                                     AuditLog& audit, PolicyLearner* learner, SocketBroker* broker)
    : listener_(listener), task_(task), filter_(std::move(filter)), audit_(audit), learner_(learner), broker_(broker) {
  if (pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
}

SyscallSupervisor::~SyscallSupervisor() {
  stop();
  ::close(listener_);  // from here on the kernel fails any held call with ENOSYS
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void SyscallSupervisor::start() {
  // A held call is a round trip caller -> supervisor -> caller: with synchronous wake-ups each
  // leg is a direct switch instead of a wake-up that waits for a CPU (bench/egress_peers.sh:
  // the brokered connect's latency). Older kernels refuse the flag (EINVAL): nothing changes.
  ioctl(listener_, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  thread_ = std::thread([this] { serve(); });
}

void SyscallSupervisor::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  [[maybe_unused]] ssize_t n = ::write(wake_[1], "x", 1);
  thread_.join();
  if (broker_) broker_->stop();  // its workers answer on the listener, which closes after this
  if (held_ > audited_) audit_.event("syscall-denials", {{"total", held_}, {"notAudited", held_ - audited_}});
  if (refused_ > printed_.size())
    fmt::print(stderr, "sbx-run: {} denied system calls in all; {} of them not shown (repeats, or past the first {})\n",
               refused_, refused_ - printed_.size(), kMaxPrinted);
}

void SyscallSupervisor::serve() {
  while (!stopping_) {
    pollfd ready[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(ready, 2, -1) < 0 && errno != EINTR) return;
    if (stopping_) return;
    if (ready[0].revents & POLLIN) answerOne();
    if (ready[0].revents & (POLLHUP | POLLERR)) return;  // no process of the task uses the filter any more
  }
}

void SyscallSupervisor::answerOne() {
  seccomp_notif request{};
  if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) return;  // ENOENT: the caller is gone
  HeldCall call;
  call.pid = static_cast<pid_t>(request.pid);
  call.arch = request.data.arch;
  call.nr = static_cast<std::uint32_t>(request.data.nr);
  for (int i = 0; i < 6; ++i) call.args[i] = request.data.args[i];
  std::uint32_t action = originalAction(filter_, call.arch, call.nr, request.data.instruction_pointer, call.args);
  if (broker_ && call.arch == seccomp::kNativeArch && isBrokeredCall(call.nr) &&
      (action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
    return broker_->handle(listener_, request);
  std::string name = syscallName(call.arch, call.nr);
  std::string text = describeCall(call);
  // Read from a pid: only worth reporting if that pid was still the caller after the read.
  if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &request.id) != 0) return;
  bool memfdGuard =
      filter_.size() != task_.filter.size() &&
      (originalAction(task_.filter, call.arch, call.nr, 0, call.args) & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
  DenialReason why = denialReason(task_.plan.seccomp, call, name, action, memfdGuard);
  if (learner_) return learn(request.id, action, call, name, text, why);
  if (isKill(action) && killHeldProcess(listener_, request.id, call.pid)) killed_ = true;
  report(call, name, text, why);
  seccomp_notif_resp response{};
  response.id = request.id;
  response.error = -errnoFor(action);
  response.val = 0;
  response.flags = 0;  // never SECCOMP_USER_NOTIF_FLAG_CONTINUE: a denied call does not run
  ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

// --learn only: the call is recorded and let run, a kill rule's included. CONTINUE is unsafe as a
// way to enforce anything (the call runs with arguments the task may change after the check), and
// it is used here precisely because nothing is enforced: the run exists to see what the task does.
// The task's filter (and so this) is never learning when the task holds secrets (main.cc).
void SyscallSupervisor::learn(std::uint64_t id, std::uint32_t action, const HeldCall& call, const std::string& name,
                              const std::string& text, DenialReason why) {
  seccomp_notif_resp response{};
  response.id = id;
  if (why.quiet) {  // an answer that is no refusal (ENOSYS, libc falls back): given as the policy would
    response.error = -errnoFor(action);
    report(call, name, text, why);
    ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, &response);
    return;
  }
  // Only a denial that a profile's `allow NAME` lifts is learned as one; the others (the baseline,
  // another ABI, an unnamed number) are written as comments for the reviewer.
  if (why.fix == fmt::format("to allow it add 'allow {}' to syscalls", name) && !name.starts_with("syscall_"))
    learner_->syscall(name);
  else
    learner_->note(fmt::format("{} (syscall {}): {}; {}", name, call.nr, why.rule, why.fix));
  if (constexpr std::string_view killed = "; the task was killed"; why.rule.ends_with(killed))
    why.rule = why.rule.substr(0, why.rule.size() - killed.size()) + "; not killed while learning";
  report(call, name, text, why);
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void SyscallSupervisor::report(const HeldCall& call, const std::string& name, const std::string& text,
                               const DenialReason& why) {
  ++held_;
  if (!why.quiet) ++refused_;
  std::string line =
      fmt::format("sbx-run: {} {} (syscall {}) in task {}: {}; {}", learner_ ? "learned (would block)" : "blocked",
                  text, call.nr, task_.plan.task.name, why.rule, why.fix);
  // Once per syscall and rule: a task looping on a call, whatever its arguments, prints one line.
  std::string key = name + "\n" + why.rule;
  if (!why.quiet && !printed_.contains(key) && printed_.size() < kMaxPrinted) {
    printed_.insert(key);
    fmt::print(stderr, "{}\n", line);
  }
  if (audited_ >= kMaxAudited) return;
  ++audited_;
  nlohmann::ordered_json args = nlohmann::ordered_json::array();
  for (auto a : call.args) args.push_back(a);
  audit_.event("syscall-denied", {{"syscall", name},
                                  {"nr", call.nr},
                                  {"arch", fmt::format("{:#x}", call.arch)},
                                  {"call", text},
                                  {"args", args},
                                  {"pid", call.pid},
                                  {"action", why.action},
                                  {"rule", why.rule},
                                  {"fix", why.fix}});
}

}  // namespace sbx::run
