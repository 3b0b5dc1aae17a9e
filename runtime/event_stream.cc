#include "runtime/event_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "runtime/audit_record.h"

namespace sbx::run {

struct EventStream::State {
  int fd = -1;
  bool socket = false;  // written with send(MSG_DONTWAIT): its description is shared
  std::string runId;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::string> queue;
  std::size_t queuedBytes = 0, dropped = 0;
  bool stopping = false, finished = false;
  std::chrono::steady_clock::time_point drainUntil;
  ~State() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

std::string checkOwnFile(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return std::string("cannot stat it: ") + std::strerror(errno);
  if (st.st_uid != geteuid()) return "it belongs to uid " + std::to_string(st.st_uid) + ", not to the running user";
  if (S_ISFIFO(st.st_mode)) return "";
  if (!S_ISREG(st.st_mode)) return "it is neither a regular file nor a FIFO";
  if (st.st_nlink != 1) return "it has other names (hard links)";
  return "";
}

// Standard output as a descriptor of the stream's own. The payload shares sbx-run's standard
// output; O_NONBLOCK on that description would be the payload's too, so a pipe or a terminal is
// opened again (a new description) through /proc; a socket is written with MSG_DONTWAIT; a
// regular file never blocks for long.
int openStandardOutput(bool& socket, std::string& error) {
  struct stat st {};
  if (fstat(STDOUT_FILENO, &st) != 0) {
    error = std::string("--events -: standard output is not open: ") + std::strerror(errno);
    return -1;
  }
  socket = S_ISSOCK(st.st_mode);
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    int fd = ::open("/proc/self/fd/1", O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) return fd;
  }
  int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) error = std::string("--events -: cannot duplicate standard output: ") + std::strerror(errno);
  return fd;
}

// Writes `text` whole, waiting for room at most until the stop's deadline. False: give up.
bool writeAll(EventStream::State& s, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = s.socket ? send(s.fd, text.data() + done, text.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL)
                         : ::write(s.fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;  // the reader is gone (EPIPE)
    {
      std::lock_guard lock(s.mutex);
      if (s.stopping && std::chrono::steady_clock::now() >= s.drainUntil) return false;
    }
    pollfd p{s.fd, POLLOUT, 0};
    poll(&p, 1, 100);
  }
  return true;
}

void writerLoop(const std::shared_ptr<EventStream::State>& state) {
  // A reader that closed its end raises SIGPIPE on the write; blocked, it stays pending on this
  // thread and the write fails with EPIPE.
  sigset_t pipeSignal;
  sigemptyset(&pipeSignal);
  sigaddset(&pipeSignal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipeSignal, nullptr);
  EventStream::State& s = *state;
  bool broken = false;
  std::unique_lock lock(s.mutex);
  for (;;) {
    s.changed.wait(lock, [&] { return s.stopping || !s.queue.empty() || s.dropped; });
    if (s.queue.empty() && s.dropped && !broken) {
      std::string note = renderAuditRecord(s.runId, "events-dropped", {{"count", s.dropped}});
      s.dropped = 0;
      lock.unlock();
      broken = !writeAll(s, note);
      lock.lock();
      continue;
    }
    if (s.queue.empty() || broken) break;
    std::string line = std::move(s.queue.front());
    s.queue.pop_front();
    s.queuedBytes -= line.size();
    lock.unlock();
    broken = !writeAll(s, line);
    lock.lock();
    if (broken && !s.stopping) {  // nobody reads any more: later lines are dropped, counted
      s.dropped += s.queue.size();
      s.queue.clear();
      s.queuedBytes = 0;
    }
  }
  s.finished = true;
  s.changed.notify_all();
}

}  // namespace

bool EventStream::open(const std::string& spec, const std::string& runId, std::string& error) {
  auto state = std::make_shared<State>();
  state->runId = runId;
  if (spec == "-") {
    state->fd = openStandardOutput(state->socket, error);
    if (state->fd < 0) return false;
  } else {
    // Without blocking: a FIFO with no reader fails (ENXIO) instead of holding the launcher.
    state->fd = ::open(spec.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (state->fd < 0) {
      error = "cannot open the event stream " + spec + ": " + std::strerror(errno) +
              (errno == ENXIO ? " (a FIFO needs its reader first)" : "");
      return false;
    }
    if (std::string why = checkOwnFile(state->fd); !why.empty()) {
      error = "refusing the event stream " + spec + ": " + why;
      return false;
    }
  }
  state_ = state;
  writer_ = std::thread([state] { writerLoop(state); });
  return true;
}

void EventStream::push(const std::string& line) {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  if (state_->finished || state_->queuedBytes + line.size() > kMaxQueuedBytes) {
    ++state_->dropped;
    return;
  }
  state_->queue.push_back(line);
  state_->queuedBytes += line.size();
  state_->changed.notify_one();
}

void EventStream::stop() {
  if (!state_ || !writer_.joinable()) return;
  std::unique_lock lock(state_->mutex);
  state_->stopping = true;
  state_->drainUntil = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDrainMs);
  state_->changed.notify_all();
  bool finished = state_->changed.wait_until(lock, state_->drainUntil + std::chrono::milliseconds(200),
                                             [&] { return state_->finished; });
  lock.unlock();
  if (finished)
    writer_.join();
  else
    writer_.detach();  // blocked in a write that never returns: it owns a share of the state
}

EventStream::~EventStream() {
  stop();
}

}  // namespace sbx::run
