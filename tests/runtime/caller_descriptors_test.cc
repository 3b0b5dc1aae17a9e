// runtime/remote_memory.h's CallerDescriptors keeps a leader's pidfd and fdinfo file between held
// calls. A process id passes to another process once the first is gone: the second must get its
// own descriptor and flags, never the first's nor a failure. The second is made with the first's
// id (clone3 with set_tid, which needs CAP_SYS_ADMIN: skipped without it).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/remote_memory.h"
#include "support/skip.h"

namespace {

constexpr int kNumber = 100;  // the descriptor number both processes hold their file at

// A child (with id `id` when not 0) holding `file` at kNumber, opened with `flags`; its id once
// it is ready, 0 when it could not be made (errno).
pid_t childHolding(int file, int flags, pid_t id) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return 0;
  clone_args args{};
  args.exit_signal = SIGCHLD;
  if (id) {
    args.set_tid = reinterpret_cast<std::uint64_t>(&id);
    args.set_tid_size = 1;
  }
  long child = syscall(SYS_clone3, &args, sizeof args);
  if (child == 0) {
    if (dup3(file, kNumber, flags & O_CLOEXEC) != kNumber) _exit(1);
    if (flags & O_NONBLOCK) fcntl(kNumber, F_SETFL, O_NONBLOCK);
    [[maybe_unused]] ssize_t n = write(ready[1], "r", 1);
    for (;;) pause();
  }
  int saved = errno;
  close(ready[1]);
  char byte = 0;
  bool made = child > 0 && read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  errno = saved;
  return made ? static_cast<pid_t>(child) : 0;
}

void end(pid_t child) {
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

ino_t inodeOf(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

}  // namespace

TEST_CASE("caller descriptors: a process that gets a gone process's id gets its own descriptor and flags") {
  int first = eventfd(0, EFD_CLOEXEC), second = eventfd(0, EFD_CLOEXEC);
  REQUIRE(first >= 0);
  REQUIRE(second >= 0);
  sbx::run::CallerDescriptors callers;

  pid_t a = childHolding(first, 0, 0);
  REQUIRE(a > 0);
  pid_t tgid = 0;
  int copy = callers.duplicate(a, kNumber, tgid);
  CHECK(tgid == a);
  CHECK(inodeOf(copy) == inodeOf(first));
  close(copy);
  long long flags = callers.flags(a, kNumber);
  CHECK((flags & O_NONBLOCK) == 0);
  CHECK((flags & O_CLOEXEC) == 0);
  // Kept now: the next call of the same process is answered from them.
  copy = callers.duplicate(a, kNumber, tgid);
  CHECK(inodeOf(copy) == inodeOf(first));
  close(copy);
  end(a);

  pid_t b = childHolding(second, O_NONBLOCK | O_CLOEXEC, a);
  if (b == 0 && (errno == EPERM || errno == EEXIST)) {
    sbx::test::skipTest(std::string("clone3 with set_tid: ") + std::strerror(errno) +
                        " (needs CAP_SYS_ADMIN and the id still free)");
    close(first);
    close(second);
    return;
  }
  REQUIRE(b == a);
  copy = callers.duplicate(b, kNumber, tgid);
  CHECK(tgid == b);
  CHECK(inodeOf(copy) == inodeOf(second));
  close(copy);
  flags = callers.flags(b, kNumber);
  CHECK((flags & O_NONBLOCK) != 0);
  CHECK((flags & O_CLOEXEC) != 0);
  end(b);

  // Gone, with nothing in its place: no descriptor, no flags.
  CHECK(callers.duplicate(b, kNumber, tgid) < 0);
  CHECK(callers.flags(b, kNumber) == 0);
  close(first);
  close(second);
}
