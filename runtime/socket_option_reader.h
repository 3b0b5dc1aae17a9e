// Many getsockopt(2) reads in one system call. On these machines a system call costs about a
// microsecond and the read inside it a fraction of that, and a brokered connect (socket_broker.h)
// reads a dozen options while its caller waits: io_uring's socket command (Linux 6.7) reads the
// SOL_SOCKET ones in one submission (10 reads: 2.4 us against 11.6 us one call each, measured here).
// It takes no other level: those, and every read where io_uring is missing, disabled
// (kernel.io_uring_disabled) or lacks the command, are read one call each, with the same answers.
//
// The ring is the reader's own, made on its first batch (in the thread that uses it, after the
// sandbox was started: no process of the sandbox ever holds it) and close-on-exec.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace sbx::run {

struct OptionRead {
  int fd = -1, level = 0, name = 0;
  void* value = nullptr;
  socklen_t size = 0;  // in: the buffer's size; out: the size read
  int error = 0;       // out: 0, or the errno getsockopt(2) gives
};

class SocketOptionReader {
 public:
  // `batched` false: one call per read, never a ring (a thread that reads rarely).
  explicit SocketOptionReader(bool batched = true) : batched_(batched) {}
  ~SocketOptionReader();
  SocketOptionReader(const SocketOptionReader&) = delete;
  SocketOptionReader& operator=(const SocketOptionReader&) = delete;

  // Reads each of `reads` as getsockopt(2) would. One thread uses a reader.
  void read(std::span<OptionRead> reads);
  // Whether SOL_SOCKET reads went through the ring (after a first read()).
  bool batches() const { return ring_ >= 0; }

 private:
  static constexpr unsigned kEntries = 16;  // the most reads one submission carries
  bool setUp();
  void tearDown();
  // Reads the SOL_SOCKET ones among `reads` through the ring; marks those read in `done`.
  void readBatch(std::span<OptionRead> reads, bool* done);
  bool batched_;
  bool triedRing_ = false;
  int ring_ = -1;
  void* sqRing_ = nullptr;  // the submission and completion rings: one mapping (IORING_FEAT_SINGLE_MMAP)
  std::size_t ringBytes_ = 0;
  void* entries_ = nullptr;
  std::size_t entriesBytes_ = 0;
  std::uint32_t sqTail_ = 0, sqMask_ = 0, sqArray_ = 0, cqHead_ = 0, cqTail_ = 0, cqMask_ = 0, cqes_ = 0;
};

}  // namespace sbx::run
