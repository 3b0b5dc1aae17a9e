// The launcher's side of the tool gates (tool_gates.h): a thread that answers each gate's request
// on the broker's socket with its tool's tokens, and refuses everyone else.
//
// A request is answered only when, in this order: it carries credentials (the kernel checked that
// the pid is the sender's) and a pidfd of the sender; its key is a tool's key, which only that
// tool's gate copy holds (it is execute-only); the sender's executable is that gate copy; the
// sender runs in the sandbox's own user namespace (the owner of a namespace the agent made could
// trace it, though its /proc files are root's there too) and is not dumpable (its /proc directory is root's, not the
// payload's), not traced, and runs under the sandbox's one seccomp filter and no filter of the agent's; and the pidfd
// shows the sender still alive after these checks, so its pid was not reused in between. Every answer and every refusal
// is an audit line (pid, executable, reason), never with a token's text.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>

#include "runtime/audit.h"
#include "runtime/tool_gates.h"

namespace sbx::run {

class ToolBroker {
 public:
  // `listener`: the broker's socket, made by the sandbox's init; owned from here on.
  ToolBroker(int listener, const ToolGates& gates, AuditLog& audit);
  ~ToolBroker();
  ToolBroker(const ToolBroker&) = delete;
  ToolBroker& operator=(const ToolBroker&) = delete;

  void start();
  // Stops answering and waits for the thread.
  void stop();

 private:
  void serve();
  void answer(int client);

  int listener_;
  const ToolGates& gates_;
  AuditLog& audit_;
  int wake_[2] = {-1, -1};  // a byte here wakes the thread to stop
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace sbx::run
