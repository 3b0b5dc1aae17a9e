// The launcher's end, however it comes: SIGTERM, SIGINT and SIGHUP do not kill sbx-run, they are
// recorded and wake its waits, so that it forwards them to the sandbox and still revokes the
// run's tokens, writes the audit's `exit` and removes its cgroups (sandbox.cc). And the set-up of
// the sandbox is bounded: the waits for init take a deadline.
//
// The handler only stores the signal number and writes one byte to a pipe: it may also run in
// init or in the payload before it execs (they share this process's memory and inherit a copy of
// its handlers), where all it does is wake the launcher.
#pragma once
#include <sys/types.h>

#include <chrono>

namespace sbx::run {

using Deadline = std::chrono::steady_clock::time_point;  // max(): none

// Installs the handlers (SA_RESTART: the launcher's blocking reads are not cut short). False
// when the wake-up pipe cannot be made.
bool installStopSignals();
// The first stop signal received, or 0.
int stopSignal();
// The descriptor that becomes readable when a stop signal arrives (and stays so: the run ends).
int stopSignalFd();

enum class Wait { Ready, Expired, Signalled };
// Waits until `fd` is readable (or hung up), the deadline passes, or a stop signal arrives.
// System calls only: the launcher runs it while init shares its memory (init.h).
Wait waitReadable(int fd, Deadline deadline);

// Kills init during its set-up (a deadline or a stop signal) and reaps it. Init shares this
// process's heap until the payload has exec'd: it is stopped first, and killed once it is inside
// a system call other than the allocator's (an open of a FIFO, a slow mount: where set-up can
// hang), so that it cannot die holding the heap half-updated; after about a second of trying it
// is killed regardless. System calls only.
void killInitDuringSetup(pid_t init);

}  // namespace sbx::run
