#include "runtime/socket_option_reader.h"

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <iterator>

namespace sbx::run {

namespace {

constexpr std::uint8_t kOpUringCmd = 46;  // IORING_OP_URING_CMD (Linux 5.19)
constexpr std::uint32_t kGetSockOpt = 2;  // SOCKET_URING_OP_GETSOCKOPT (Linux 6.7)

// A submission entry laid out as Linux 6.7 lays out a socket command: Debian 12's headers
// predate its fields (level, optname, optlen, optval).
struct SocketCommand {
  std::uint8_t opcode, flags;
  std::uint16_t ioprio;
  std::int32_t fd;
  std::uint32_t commandOp, pad1;
  std::uint32_t level, optname;
  std::uint32_t len, opFlags;
  std::uint64_t userData;
  std::uint16_t bufferIndex, personality;
  std::uint32_t optlen;
  std::uint64_t optval, pad2;
};
static_assert(sizeof(SocketCommand) == sizeof(io_uring_sqe));

std::uint32_t& at(void* base, std::uint32_t offset) {
  return *reinterpret_cast<std::uint32_t*>(static_cast<char*>(base) + offset);
}
std::uint32_t loadAcquire(std::uint32_t& word) {
  return std::atomic_ref(word).load(std::memory_order_acquire);
}
void storeRelease(std::uint32_t& word, std::uint32_t value) {
  std::atomic_ref(word).store(value, std::memory_order_release);
}

int enter(int ring, unsigned submit, unsigned complete) {
  return static_cast<int>(syscall(SYS_io_uring_enter, ring, submit, complete, IORING_ENTER_GETEVENTS, nullptr, 0));
}

void readOne(OptionRead& r) {
  r.error = getsockopt(r.fd, r.level, r.name, r.value, &r.size) == 0 ? 0 : errno;
}

}  // namespace

SocketOptionReader::~SocketOptionReader() {
  tearDown();
}

bool SocketOptionReader::setUp() {
  triedRing_ = true;
  io_uring_params params{};
  ring_ = static_cast<int>(syscall(SYS_io_uring_setup, kEntries, &params));  // close-on-exec
  if (ring_ < 0) return false;
  if (!(params.features & IORING_FEAT_SINGLE_MMAP)) {
    tearDown();
    return false;
  }
  ringBytes_ = std::max<std::size_t>(params.sq_off.array + params.sq_entries * sizeof(std::uint32_t),
                                     params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe));
  entriesBytes_ = params.sq_entries * sizeof(io_uring_sqe);
  void* rings = mmap(nullptr, ringBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_, IORING_OFF_SQ_RING);
  void* entries =
      mmap(nullptr, entriesBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_, IORING_OFF_SQES);
  sqRing_ = rings == MAP_FAILED ? nullptr : rings;
  entries_ = entries == MAP_FAILED ? nullptr : entries;
  if (!sqRing_ || !entries_) {
    tearDown();
    return false;
  }
  sqTail_ = params.sq_off.tail;
  sqMask_ = params.sq_off.ring_mask;
  sqArray_ = params.sq_off.array;
  cqHead_ = params.cq_off.head;
  cqTail_ = params.cq_off.tail;
  cqMask_ = params.cq_off.ring_mask;
  cqes_ = params.cq_off.cqes;
  return true;
}

void SocketOptionReader::tearDown() {
  if (sqRing_) munmap(sqRing_, ringBytes_);
  if (entries_) munmap(entries_, entriesBytes_);
  if (ring_ >= 0) ::close(ring_);
  sqRing_ = entries_ = nullptr;
  ring_ = -1;
}

void SocketOptionReader::readBatch(std::span<OptionRead> reads, bool* done) {
  std::uint32_t tail = at(sqRing_, sqTail_), mask = at(sqRing_, sqMask_);
  unsigned queued = 0;
  for (std::size_t i = 0; i < reads.size() && queued < kEntries; ++i) {
    const OptionRead& r = reads[i];
    if (r.level != SOL_SOCKET) continue;
    std::uint32_t slot = (tail + queued++) & mask;
    auto& command = static_cast<SocketCommand*>(entries_)[slot];
    command = SocketCommand{};
    command.opcode = kOpUringCmd;
    command.fd = r.fd;
    command.commandOp = kGetSockOpt;
    command.level = static_cast<std::uint32_t>(r.level);
    command.optname = static_cast<std::uint32_t>(r.name);
    command.optlen = r.size;
    command.optval = reinterpret_cast<std::uintptr_t>(r.value);
    command.userData = i;
    (&at(sqRing_, sqArray_))[slot] = slot;
  }
  if (queued < 2) return;  // one read is one call either way
  storeRelease(at(sqRing_, sqTail_), tail + queued);
  int submitted = enter(ring_, queued, queued);
  if (submitted != static_cast<int>(queued)) return tearDown();  // the ring's state is unknown: calls from now on
  for (unsigned reaped = 0; reaped < queued;) {
    std::uint32_t head = at(sqRing_, cqHead_), ready = loadAcquire(at(sqRing_, cqTail_));
    if (head == ready) {
      if (enter(ring_, 0, queued - reaped) < 0 && errno != EINTR) return tearDown();
      continue;
    }
    for (; head != ready; ++head, ++reaped) {
      const auto& completion =
          reinterpret_cast<io_uring_cqe*>(static_cast<char*>(sqRing_) + cqes_)[head & at(sqRing_, cqMask_)];
      if (completion.user_data >= reads.size()) continue;
      OptionRead& r = reads[completion.user_data];
      if (completion.res < 0) {
        r.error = -completion.res;  // read again by a call, which tells the ring's gaps from real errors
        continue;
      }
      r.size = static_cast<socklen_t>(completion.res);
      r.error = 0;
      done[completion.user_data] = true;
    }
    storeRelease(at(sqRing_, cqHead_), head);
  }
}

void SocketOptionReader::read(std::span<OptionRead> reads) {
  for (OptionRead& r : reads) r.error = 0;
  bool done[kEntries * 2] = {};
  bool batch = batched_ && reads.size() <= std::size(done) && (ring_ >= 0 || (!triedRing_ && setUp()));
  if (batch) readBatch(reads, done);
  for (std::size_t i = 0; i < reads.size(); ++i) {
    if (i < std::size(done) && done[i]) continue;
    bool ringFailed = batch && ring_ >= 0 && reads[i].level == SOL_SOCKET && reads[i].error != 0;
    readOne(reads[i]);
    // The ring refused what a call does: this kernel's io_uring lacks the socket command.
    if (ringFailed && reads[i].error == 0) tearDown();
  }
}

}  // namespace sbx::run
