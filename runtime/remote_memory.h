// What the supervisor reads of a held call's process: its memory (the address a connect names,
// the bytes a sendto sends) and its descriptors, each copied once. The supervisor acts on its
// copy, never on the process's memory again: a thread that rewrites the buffer after the read
// changes nothing the supervisor does (no time-of-check gap).
#pragma once
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sbx::run {

// `size` bytes at `address` in process `pid`; false when they cannot all be read.
bool readRemote(pid_t pid, std::uint64_t address, void* out, std::size_t size);

// Held callers' descriptors: duplicates (pidfd_getfd) and how they are open (/proc fdinfo). For
// thread-group leaders the pidfd and the fdinfo file of the descriptor last asked about are kept
// for their next calls: a held connect then costs two system calls here instead of six
// (bench/egress_peers.sh). Only a leader's are kept: its id stays its process's until the whole
// group is gone, when a kept pidfd fails (ESRCH) and a kept fdinfo file fails to read, and both
// are opened again; a thread's id may pass to another process while its own lives on. One
// thread uses it (the supervisor's).
class CallerDescriptors {
 public:
  CallerDescriptors() = default;
  ~CallerDescriptors();
  CallerDescriptors(const CallerDescriptors&) = delete;
  CallerDescriptors& operator=(const CallerDescriptors&) = delete;

  // A duplicate of descriptor `fd` of the process that thread `tid` belongs to, close-on-exec,
  // and that process's id in `tgid` (0 when it is gone); -1 with errno.
  int duplicate(pid_t tid, int fd, pid_t& tgid);
  // How descriptor `fd` of process `tgid` is open: its fdinfo's flags (O_NONBLOCK of its file,
  // O_CLOEXEC of the descriptor); 0 when unreadable.
  long long flags(pid_t tgid, int fd);

 private:
  struct Leader {
    pid_t pid = 0;
    int pidfd = -1;
    int fdinfoOf = -1;  // the descriptor whose fdinfo file `fdinfo` is
    int fdinfo = -1;
  };
  static constexpr std::size_t kKept = 16;
  Leader* find(pid_t pid);
  void keep(pid_t pid, int pidfd);
  static void forget(Leader& leader);
  std::array<Leader, kKept> kept_{};
  std::size_t next_ = 0;  // the slot the next leader takes (round robin)
};

// The executable of `tgid` as /proc shows it; empty when unreadable.
std::string executableOf(pid_t tgid);

}  // namespace sbx::run
