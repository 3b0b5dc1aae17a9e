// The filter composition of socket brokering (runtime/notify_rules.h), run in the BPF interpreter
// with the kernel's seccomp rules: calls the task's filter allows and the broker makes are held,
// every other verdict is the task's own, and sendto without an address never traps.
#include "runtime/notify_rules.h"

#include <doctest/doctest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>

#include "bpf/bpf_interpreter.h"
#include "bpf/native_arch.h"
#include "runtime/denial_filter.h"

using namespace sbx;

namespace {

// A task's filter: connect, sendto and getpid allowed, bind denied (EPERM), the rest EACCES;
// another architecture killed.
std::vector<sock_filter> taskFilter() {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp::kNativeArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bind, 2, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
  };
}

std::uint32_t verdict(const std::vector<sock_filter>& filter, std::uint32_t nr, std::uint64_t address = 0,
                      std::uint32_t arch = seccomp::kNativeArch) {
  seccomp::SeccompData data;
  data.nr = nr;
  data.arch = arch;
  data.args[4] = address;
  seccomp::Execution e = seccomp::interpret(filter, data);
  REQUIRE(e.ok);
  return e.action;
}

}  // namespace

TEST_CASE("notify rules: allowed connect, bind and sendto with an address are held; other verdicts stay the task's") {
  auto composed = run::withBrokeredCalls(run::notifyingDenials(taskFilter()));
  REQUIRE(composed);
  CHECK(verdict(*composed, SYS_connect) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(*composed, SYS_sendto, 0x1000) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(*composed, SYS_sendto, std::uint64_t{1} << 32) == SECCOMP_RET_USER_NOTIF);  // the high half too
  CHECK(verdict(*composed, SYS_sendto, 0) == SECCOMP_RET_ALLOW);                            // no address: no round trip
  CHECK(verdict(*composed, SYS_getpid) == SECCOMP_RET_ALLOW);
  // Denied by the task: held as a denial, and the supervisor finds the task's verdict.
  CHECK(verdict(*composed, SYS_bind) == SECCOMP_RET_USER_NOTIF);
  CHECK(run::originalAction(taskFilter(), seccomp::kNativeArch, SYS_bind, 0, {}) == (SECCOMP_RET_ERRNO | EPERM));
  CHECK(verdict(*composed, SYS_read) == SECCOMP_RET_USER_NOTIF);
  CHECK(run::originalAction(taskFilter(), seccomp::kNativeArch, SYS_connect, 0, {}) == SECCOMP_RET_ALLOW);
  // Without the denial rewrite the task's own verdicts are untouched but for the brokered calls.
  auto plain = run::withBrokeredCalls(taskFilter());
  REQUIRE(plain);
  CHECK(verdict(*plain, SYS_read) == (SECCOMP_RET_ERRNO | EACCES));
  CHECK(verdict(*plain, SYS_bind) == (SECCOMP_RET_ERRNO | EPERM));
  CHECK(verdict(*plain, SYS_connect, 0, AUDIT_ARCH_I386) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("notify rules: an x32 number is held even where a filter allows it; a computed return is not composed") {
  std::vector<sock_filter> allowAll = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  auto composed = run::withBrokeredCalls(allowAll);
  REQUIRE(composed);
  CHECK(verdict(*composed, 0x40000000u | SYS_connect) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(*composed, SYS_getpid) == SECCOMP_RET_ALLOW);
  std::vector<sock_filter> computed = {BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW), BPF_STMT(BPF_RET | BPF_A, 0)};
  CHECK(!run::withBrokeredCalls(computed));
  CHECK(run::isBrokeredCall(SYS_connect));
  CHECK(!run::isBrokeredCall(SYS_sendmsg));
}
