#include "seccomp/filter_support.h"

#include <doctest/doctest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "frontend/frontend.h"
#include "support/paths.h"
#include "support/process.h"

namespace sbx::test {
namespace {
int reportFd = -1;
void reportValue(long v) {
  (void)!write(reportFd, &v, sizeof v);
}
}  // namespace

seccomp::Program compileWithSbxc(const std::string& policy, const std::string& task, const std::string& codegen) {
  TempDir dir;
  writeText(dir.path() / "policy.sbx", policy);
  Run r = sbxc({"compile", "policy.sbx", "-o", "out", "--codegen", codegen}, "", dir.path().string());
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  seccomp::Program program;
  REQUIRE(seccomp::fromBytes(readText(dir.path() / "out" / task / "seccomp.bpf"), program));
  return program;
}

seccomp::FilterSpec specOf(const std::string& policy, const std::string& task, int tier) {
  frontend::Session session;
  auto result = session.loadText("test.sbx", policy);
  REQUIRE(result.model);
  for (const auto& t : result.model->tasks)
    if (t.name == task) return seccomp::buildSpec(t, seccomp::factsOf(t, tier));
  FAIL("no task " << task);
  return {};
}

long rawSyscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  long rc = syscall(nr, a0, a1, a2, a3, a4, a5);
  return rc == -1 ? -errno : rc;
}

ChildResult runFiltered(const seccomp::Program& program, const std::function<void(void (*report)(long))>& body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    reportFd = fds[1];
    sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(98);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(99);
    body(reportValue);
    syscall(SYS_exit_group, 0);
  }
  close(fds[1]);
  ChildResult result;
  long v;
  while (read(fds[0], &v, sizeof v) == sizeof v) result.values.push_back(v);
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  result.exited = WIFEXITED(status);
  if (result.exited) result.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace sbx::test
