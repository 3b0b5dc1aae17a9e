#include "runtime/unix_path_call.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

namespace sbx::run {

namespace {

// In the child: raw system calls only (it was forked from a threaded process).
[[noreturn]] void callInside(const UnixPathCall& call, int userNs, int root, int cwd, int report) {
  long result = 0;
  auto step = [&](long r) {
    if (r < 0 && result == 0) result = -errno;
  };
  step(setns(userNs, CLONE_NEWUSER));
  step(fchdir(root));
  step(chroot("."));
  step(fchdir(cwd));
  syscall(SYS_setgroups, 0, nullptr);  // refused where the namespace denies setgroups: it has none
  step(syscall(SYS_setresgid, call.gid, call.gid, call.gid));
  step(syscall(SYS_setresuid, call.uid, call.uid, call.uid));
  if (result == 0) {
    const auto* name = reinterpret_cast<const sockaddr*>(&call.address);
    switch (call.kind) {
      case UnixPathCall::Kind::Connect:
        result = connect(call.socket, name, call.length);
        break;
      case UnixPathCall::Kind::Bind:
        result = bind(call.socket, name, call.length);
        break;
      case UnixPathCall::Kind::Send:
        result =
            sendto(call.socket, call.bytes.data(), call.bytes.size(), call.flags | MSG_NOSIGNAL, name, call.length);
        break;
    }
    if (result < 0) result = -errno;
  } else {
    result = -EACCES;  // the sandbox could not be entered: refuse rather than act from outside it
  }
  [[maybe_unused]] ssize_t n = write(report, &result, sizeof result);
  _exit(0);
}

}  // namespace

long makeUnixPathCall(const UnixPathCall& call, const std::function<void(pid_t)>& started) {
  int userNs = ::open(fmt::format("/proc/{}/ns/user", call.caller).c_str(), O_RDONLY | O_CLOEXEC);
  int root = ::open(fmt::format("/proc/{}/root", call.caller).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  int cwd = ::open(fmt::format("/proc/{}/cwd", call.caller).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  int report[2] = {-1, -1};
  long result = -EACCES;
  if (userNs >= 0 && root >= 0 && cwd >= 0 && call.stillHeld() && pipe2(report, O_CLOEXEC) == 0) {
    pid_t child = fork();
    if (child == 0) callInside(call, userNs, root, cwd, report[1]);
    ::close(report[1]);
    if (child > 0) {
      started(child);
      long got = 0;
      if (::read(report[0], &got, sizeof got) == sizeof got) result = got;
      while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
      started(0);
    }
    ::close(report[0]);
  }
  for (int fd : {userNs, root, cwd})
    if (fd >= 0) ::close(fd);
  return result;
}

}  // namespace sbx::run
