// Kernel tests: filters compiled by `sbxc compile` are loaded into a forked child with
// seccomp(2), and the child observes what the real kernel does: allowed calls work, errno
// rules and baselines answer their errno, kill kills, foreign ABIs are refused.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "seccomp/filter_support.h"

using namespace sbx::test;

namespace {

const char* kPolicy = R"(import std.syscalls
task worker {
  expect tier 1
  write workspace
  syscalls {
    default errno EPERM
    allow @syscalls.default, @syscalls.basic-io, @syscalls.network-io
    @suppress(dangerous-syscall, reason "the test shows that the T1 baseline denies ptrace whatever the policy says")
    allow ptrace, clone3
    allow ioctl if arg1 != FIONBIO
    errno EACCES mkdir
    kill getppid
  }
}
task loose {
  expect tier 0
  syscalls {
    default allow
    foreign-arch errno ENOSYS
  }
}
)";

}  // namespace

TEST_CASE("kernel: a filter from sbxc compile allows, denies, answers errno and kills") {
  for (const char* codegen : {"sbxc", "libseccomp"}) {
    CAPTURE(codegen);
    auto program = compileWithSbxc(kPolicy, "worker", codegen);
    auto r = runFiltered(program, [](void (*report)(long)) {
      report(rawSyscall(SYS_getpid) > 0);                           // allowed
      report(rawSyscall(SYS_chdir, (long)"/"));                     // no rule: the default, EPERM
      report(rawSyscall(SYS_mkdir, (long)"/nonexistent/x", 0700));  // errno rule
      report(rawSyscall(SYS_ptrace, 0, 0, 0, 0));                   // dangerous at T1: EPERM whatever the policy says
      report(rawSyscall(SYS_clone3, 0, 0));                         // baseline: ENOSYS
      report(rawSyscall(SYS_ioctl, 0, TIOCSTI | (1L << 32), 0));    // baseline, low 32 bits: EPERM
      report(rawSyscall(SYS_ioctl, 0x7fff, TIOCGWINSZ, 0));         // allowed through: EBADF from the kernel
      report(rawSyscall(SYS_ioctl, 0x7fff, FIONBIO, 0));            // the policy's own condition: default EPERM
      report(rawSyscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0));      // family baseline
      long fd = rawSyscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
      report(fd >= 0);
      report(rawSyscall(SYS_socket, AF_INET, SOCK_STREAM, 0));  // no egress declared
      report(rawSyscall(1000));                                 // unknown to the table: ENOSYS
      rawSyscall(SYS_getppid);                                  // kill
      report(12345);                                            // never reached
    });
    REQUIRE(r.values.size() == 12);
    CHECK(r.values[0] == 1);
    CHECK(r.values[1] == -EPERM);
    CHECK(r.values[2] == -EACCES);
    CHECK(r.values[3] == -EPERM);
    CHECK(r.values[4] == -ENOSYS);
    CHECK(r.values[5] == -EPERM);
    CHECK(r.values[6] == -EBADF);
    CHECK(r.values[7] == -EPERM);
    CHECK(r.values[8] == -EAFNOSUPPORT);
    CHECK(r.values[9] == 1);
    CHECK(r.values[10] == -EAFNOSUPPORT);
    CHECK(r.values[11] == -ENOSYS);
    CHECK(!r.exited);
    CHECK(r.signal == SIGSYS);
  }
}

TEST_CASE("kernel: x32 syscall numbers get the foreign-arch action") {
  for (const char* codegen : {"sbxc", "libseccomp"}) {
    CAPTURE(codegen);
    auto worker = compileWithSbxc(kPolicy, "worker", codegen);  // foreign-arch kill (default)
    auto killed = runFiltered(worker, [](void (*report)(long)) {
      report(rawSyscall(0x40000000L | SYS_getpid));
      report(1);
    });
    CHECK(killed.values.empty());
    CHECK(killed.signal == SIGSYS);

    auto loose = compileWithSbxc(kPolicy, "loose", codegen);  // foreign-arch errno ENOSYS
    auto answered = runFiltered(loose, [](void (*report)(long)) {
      report(rawSyscall(0x40000000L | SYS_getpid));
      report(rawSyscall(SYS_getpid) > 0);
      report(rawSyscall(SYS_ptrace, 0, 0, 0, 0) != -EPERM);  // T0, baseline not applied: ptrace reaches the kernel
    });
    REQUIRE(answered.values.size() == 3);
    CHECK(answered.values[0] == -ENOSYS);
    CHECK(answered.values[1] == 1);
    CHECK(answered.values[2] == 1);
    CHECK(answered.exitCode == 0);
  }
}

TEST_CASE("kernel: a task without a syscalls block denies the dangerous set") {
  auto program = compileWithSbxc("task plain {\n  expect tier 0\n}\n", "plain", "sbxc");
  auto r = runFiltered(program, [](void (*report)(long)) {
    report(rawSyscall(SYS_getpid) > 0);
    report(rawSyscall(SYS_unshare, 0));
    report(rawSyscall(SYS_chdir, (long)"/"));
  });
  REQUIRE(r.values.size() == 3);
  CHECK(r.values[0] == 1);
  CHECK(r.values[1] == -EPERM);
  CHECK(r.values[2] == 0);
}
