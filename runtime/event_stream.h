// `sbx-run --events FILE|-`: the audit log's records (audit.h renders them, once) copied, as they
// happen, to a reader that may be slow or gone. The launcher only queues a line (bounded: at most
// kMaxQueuedBytes); a writer thread of its own writes them. A reader that does not keep up loses
// lines, never the launcher's time: what did not fit is counted and an `events-dropped` record
// (with the count) follows as soon as there is room again.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace sbx::run {

class EventStream {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 4 << 20;
  // At the end of the run, how long the writer may take to hand over what is queued.
  static constexpr int kDrainMs = 2000;

  EventStream() = default;
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // `-` is sbx-run's standard output; anything else a path: a regular file of the running user's
  // (appended to, no link followed, no other name) or a FIFO of the user's with a reader already
  // there (opened without blocking: no reader is an error, never a hang). False with `error`.
  // `runId` names the run in the `events-dropped` record.
  bool open(const std::string& spec, const std::string& runId, std::string& error);
  bool enabled() const { return state_ != nullptr; }
  // Queues one rendered line (with its newline). Never blocks on the reader.
  void push(const std::string& line);
  // Lets the writer drain the queue for at most kDrainMs, then stops it (a writer stuck on a reader
  // that never reads is left behind: the process is about to exit).
  void stop();

  struct State;  // shared with the writer thread, which may outlive the stream (stop())

 private:
  std::shared_ptr<State> state_;
  std::thread writer_;
};

}  // namespace sbx::run
