// The sandbox's processes: its init (PID 1 of the new PID namespace) and the payload it starts.
//
// Init builds the root (mounts.h), starts the payload, reaps every process, forwards signals to
// the payload's session and, when the payload exits, kills what is left and exits with the
// payload's status (128 + N for a signal). The payload narrows itself (a new session, rlimits,
// ids, capabilities, no_new_privs, Landlock, environment, descriptors, seccomp last) and execs.
//
// Both share the memory of the process that starts them, the way posix_spawn does: a fork would
// copy the address space only to fault on every page the child writes (about a millisecond on
// the machines this is measured on). The rules that make the sharing safe:
//   - the launcher, from startInit until the error pipe closes, makes system calls on buffers it
//     prepared before, and allocates nothing (sandbox.cc);
//   - init allocates nothing once the payload has exec'd (it only waits, kills and exits), and the
//     payload runs while init is suspended (CLONE_VFORK);
//   - the payload allocates nothing once its rlimits are set: an allocation that fails there (an
//     address-space limit) would die holding the allocator's locks, and the launcher would wait
//     on them for ever (seen under AddressSanitizer, whose every mapping fails under such a limit).
#pragma once
#include <sys/types.h>

#include <vector>

#include "runtime/artifacts.h"
#include "runtime/mounts.h"
#include "runtime/user_ns.h"

namespace sbx::run {

struct RunOptions;
struct ToolGates;

// What the payload leaves, in the memory it shares with init and the launcher, for the syscall
// supervisor (syscall_supervisor.h).
struct SupervisionHandoff {
  int listener = -1;             // in the descriptor table the payload shared with init
  bool memfdGuarded = false;     // the filter loaded refuses executable memfds (hardening.h)
  bool setIdGuarded = false;     // ... and set-id modes (an ID-mapped workspace)
  bool brokerSockets = false;    // set by the launcher: compose the filter with notify_rules.h
  bool socketsBrokered = false;  // set by the payload: it did (the supervisor must broker)
};

struct InitArgs {
  const CompiledTask* task;
  const RunOptions* options;
  std::vector<PlannedMount>* mounts;
  const Identity* id;
  int syncFd;        // one byte from the launcher: id maps written, cgroups joined; go
  int errorFd;       // "CODE\nstep: reason" on a setup failure; closes when the payload execs
  bool egressProxy;  // the task has egress: init passes the proxy's listener back on syncFd
  bool dnsStub;      // sockets are brokered: init passes the DNS stub's two sockets back on syncFd (dns_stub.h)
  const std::vector<std::string>* extraEnvironment;  // the proxy's and the tokens' variables
  ToolGates* toolGates;         // tools with tokens (else null): init passes the broker's socket back on syncFd
  SupervisionHandoff* handoff;  // else null: after the payload's exec, init passes its listener on syncFd
};

// A stack for a child that shares this process's memory; released with the object, which must
// outlive the child (init: until it is reaped).
class ChildStack {
 public:
  ChildStack();
  ~ChildStack();
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  void* top() const;

 private:
  void* base_;
};

// Clones init into new namespaces (`namespaces`: CLONE_NEW* flags) on `stack`, sharing this
// process's memory. Returns its pid, or -1 with errno.
pid_t startInit(InitArgs& args, int namespaces, const ChildStack& stack);

}  // namespace sbx::run
