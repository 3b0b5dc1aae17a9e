// The syscall supervisor: a launcher thread on the seccomp listener of the payload's filter
// (denial_filter.h). Every call the task's filter denies is held there; the supervisor names it
// (syscall_decode.h), finds the rule that decided it, reports it on stderr and in the audit log
// with the line that would allow it, and answers as the task's filter would have: the filter's
// errno, EPERM for a `notify` rule (no policy tells the supervisor to let a call run), or, for a
// kill, SIGKILL to the calling process (the run then exits 128 + SIGSYS, as a kernel kill does).
// It never lets a held call run, except under `sbx-run --learn` (policy_learner.h), where nothing
// is enforced: each denial is recorded and the call continues. Reports are bounded: each syscall
// is printed once per rule that denied it, at most kMaxPrinted of them, at most kMaxAudited
// records; the rest are counted and summed up at the end.
#pragma once
#include <linux/filter.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/artifacts.h"
#include "runtime/audit.h"

namespace sbx::run {

struct HeldCall;
struct DenialReason;
class PolicyLearner;
class SocketBroker;

class SyscallSupervisor {
 public:
  static constexpr std::size_t kMaxPrinted = 20;
  static constexpr std::size_t kMaxAudited = 200;

  // `filter`: the task's filter as the payload would have loaded it without supervision (the
  // memfd guard included), whose action the supervisor answers with.
  // `learner`: null when enforcing; else every held call is recorded there and let run.
  // `broker`: the socket broker, for a filter composed with notify_rules.h: a held call that the
  // task's filter allows is one to broker (socket_broker.h), never a denial.
  SyscallSupervisor(int listener, const CompiledTask& task, std::vector<sock_filter> filter, AuditLog& audit,
                    PolicyLearner* learner = nullptr, SocketBroker* broker = nullptr);
  ~SyscallSupervisor();
  SyscallSupervisor(const SyscallSupervisor&) = delete;
  SyscallSupervisor& operator=(const SyscallSupervisor&) = delete;

  void start();
  // Stops the thread and reports what the bounds left out.
  void stop();
  // A kill rule ended a process of the task.
  bool killedTask() const { return killed_; }

 private:
  void serve();
  void answerOne();
  void learn(std::uint64_t id, std::uint32_t action, const HeldCall& call, const std::string& name,
             const std::string& text, DenialReason why);
  void report(const HeldCall& call, const std::string& name, const std::string& text, const DenialReason& why);

  int listener_;
  const CompiledTask& task_;
  std::vector<sock_filter> filter_;
  AuditLog& audit_;
  PolicyLearner* learner_;
  SocketBroker* broker_;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<bool> stopping_{false}, killed_{false};
  std::set<std::string> printed_;
  std::size_t held_ = 0, refused_ = 0, audited_ = 0;  // refused_: the held calls not quiet
};

}  // namespace sbx::run
