// sbx-run --learn: what a run under a policy would have been denied, gathered while nothing is
// enforced, and written as a .sbx fragment holding the minimal additions that would allow it.
//
// The supervisor (syscall_supervisor.h) records each denied system call by name and lets it run;
// the egress proxy (proxy.h) records each refused destination and connects it. The fragment is one
// profile, `learned_<task>`, with a `syscalls { allow ... }` block and `connect` lines, in sorted
// order so that two runs that saw the same denials write the same file. File accesses refused by
// the mount tree or Landlock fail in the kernel (EACCES, EROFS) without passing the launcher, so
// they are not learned (runtime/README.md, "Learning a policy").
#pragma once
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace sbx::run {

class PolicyLearner {
 public:
  // A denied syscall that a profile's `allow NAME` would let run.
  void syscall(const std::string& name);
  // A denial no line of the fragment can allow (another architecture's call, an unnamed number):
  // written as a comment for the reviewer.
  void note(const std::string& text);
  // A refused destination, as a policy's `connect` names it ("host:port").
  void destination(const std::string& hostPort);

  bool empty() const;
  // The fragment: a header comment (task, command, that it was learned and needs review), then
  // the profile.
  std::string fragment(const std::string& task, const std::vector<std::string>& command) const;
  // The profile's name for `task`.
  static std::string profileName(const std::string& task);

 private:
  mutable std::mutex mutex_;  // the supervisor and the proxy's threads record concurrently
  std::set<std::string> syscalls_, notes_, destinations_;
};

// Writes the fragment to `path` atomically (util/atomic_file.h). False with `error`.
bool writeLearnedPolicy(const PolicyLearner& learner, const std::string& path, const std::string& task,
                        const std::vector<std::string>& command, std::string& error);

}  // namespace sbx::run
