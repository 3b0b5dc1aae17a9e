#include "runtime/stop_signals.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace sbx::run {

namespace {

volatile sig_atomic_t gStopSignal = 0;
int gWake[2] = {-1, -1};

void onStopSignal(int signal) {
  int saved = errno;
  if (gStopSignal == 0) gStopSignal = signal;
  [[maybe_unused]] ssize_t n = ::write(gWake[1], "s", 1);
  errno = saved;
}

// System calls by which init may be inside the allocator, or waiting for the payload (which
// shares the heap too) to exec.
bool mayHoldTheHeap(long call) {
  switch (call) {
    case SYS_mmap:
    case SYS_munmap:
    case SYS_mremap:
    case SYS_brk:
    case SYS_madvise:
    case SYS_mprotect:
    case SYS_futex:
    case SYS_clone:
    case SYS_clone3:
      return true;
    default:
      return false;
  }
}

// The system call `pid` is stopped in, or -1 (in user code, or unknown).
long stoppedInCall(pid_t pid) {
  char path[64], text[128] = {};
  std::snprintf(path, sizeof path, "/proc/%d/syscall", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -2;  // unreadable: nothing to learn by waiting
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return -2;
  if (text[0] < '0' || text[0] > '9') return -1;  // "-1 ..." (user code) or "running"
  return std::strtol(text, nullptr, 10);
}

}  // namespace

bool installStopSignals() {
  if (gWake[0] < 0 && pipe2(gWake, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  action.sa_flags = SA_RESTART;
  sigfillset(&action.sa_mask);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaction(signal, &action, nullptr);
  return true;
}

int stopSignal() {
  return gStopSignal;
}

int stopSignalFd() {
  return gWake[0];
}

Wait waitReadable(int fd, Deadline deadline) {
  using namespace std::chrono;
  for (;;) {
    if (gStopSignal) return Wait::Signalled;
    int waitMs = -1;
    if (deadline != Deadline::max()) {
      auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
      if (left <= 0) return Wait::Expired;
      waitMs = static_cast<int>(std::min<std::int64_t>(left, 1 << 30));
    }
    pollfd p[2] = {{fd, POLLIN, 0}, {gWake[0], POLLIN, 0}};
    int ready = poll(p, gWake[0] >= 0 ? 2 : 1, waitMs);
    if (ready < 0 && errno != EINTR) return Wait::Ready;  // the read that follows reports it
    if (ready > 0 && p[0].revents) return Wait::Ready;
  }
}

void killInitDuringSetup(pid_t init) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int status = 0;
    if (kill(init, SIGSTOP) != 0 || waitpid(init, &status, WUNTRACED) != init) return;
    if (!WIFSTOPPED(status)) return;  // it exited: reaped
    long call = stoppedInCall(init);
    if (call == -2 || (call >= 0 && !mayHoldTheHeap(call))) break;
    kill(init, SIGCONT);
    timespec pause{0, 1000000};
    nanosleep(&pause, nullptr);
  }
  kill(init, SIGKILL);
  waitpid(init, nullptr, 0);
}

}  // namespace sbx::run
