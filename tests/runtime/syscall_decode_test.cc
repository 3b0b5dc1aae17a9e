// A held call as the supervisor reports it (runtime/syscall_decode.h, runtime/denial_reason.h):
// names from libseccomp, flags by name, strings read from the caller's memory (here, this test's
// own) and cut short, bad pointers shown as numbers; the rule told apart by its action.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "runtime/denial_reason.h"
#include "runtime/syscall_decode.h"

using sbx::run::HeldCall;

namespace {

constexpr std::uint32_t kArch = AUDIT_ARCH_X86_64;

std::uint64_t address(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

HeldCall call(std::uint32_t nr, std::uint64_t a0 = 0, std::uint64_t a1 = 0, std::uint64_t a2 = 0,
              std::uint64_t a3 = 0) {
  HeldCall c;
  c.pid = getpid();
  c.arch = kArch;
  c.nr = nr;
  c.args[0] = a0;
  c.args[1] = a1;
  c.args[2] = a2;
  c.args[3] = a3;
  return c;
}

sbx::plan::SeccompEntry entry(const std::string& defaultAction, int tier) {
  sbx::plan::SeccompEntry e;
  e.defaultAction = defaultAction;
  e.foreignArchAction = "kill";
  e.tier = tier;
  return e;
}

}  // namespace

#if defined(__x86_64__)
TEST_CASE("syscall decode: names, flags and strings from the caller's memory") {
  const char* path = "/tmp/a \"quoted\"\npath";
  CHECK(sbx::run::describeCall(call(SYS_chroot, address(path))) == R"(chroot("/tmp/a \"quoted\"\x0apath"))");
  CHECK(sbx::run::describeCall(call(SYS_openat, static_cast<std::uint32_t>(AT_FDCWD), address("/etc"),
                                    O_RDONLY | O_CLOEXEC | O_DIRECTORY, 0)) ==
        R"(openat(AT_FDCWD, "/etc", O_RDONLY|O_DIRECTORY|O_CLOEXEC, 00))");
  CHECK(sbx::run::describeCall(call(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS)) == "unshare(CLONE_NEWNS|CLONE_NEWUSER)");
  CHECK(sbx::run::describeCall(call(SYS_socket, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
        "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, 0)");
  CHECK(sbx::run::describeCall(call(SYS_getpid)) == "getpid(...)");
  CHECK(sbx::run::syscallName(kArch, 100000) == "syscall_100000");
  CHECK(sbx::run::describeCall(call(SYS_chroot, 0x10)) == "chroot(0x10)");  // unreadable: the number
}

TEST_CASE("syscall decode: a long string is cut short, and one that runs into an unmapped page too") {
  std::string longPath(1000, 'a');
  std::string text;
  bool truncated = false;
  REQUIRE(sbx::run::readString(getpid(), address(longPath.c_str()), 256, text, truncated));
  CHECK(text.size() == 256);
  CHECK(truncated);
  long page = sysconf(_SC_PAGESIZE);
  auto* pages = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  REQUIRE(pages != MAP_FAILED);
  munmap(pages + page, page);
  std::fill(pages, pages + page, 'b');
  REQUIRE(sbx::run::readString(getpid(), address(pages + page - 4), 256, text, truncated));
  CHECK(text == "bbbb");
  CHECK(truncated);
  munmap(pages, page);
}

TEST_CASE("denial reason: the default, a rule, the baseline, and a quiet ENOSYS") {
  auto reason = [](const sbx::plan::SeccompEntry& e, const HeldCall& c, const std::string& name, std::uint32_t action) {
    return sbx::run::denialReason(e, c, name, action, false);
  };
  auto r = reason(entry("errno 1", 1), call(SYS_chroot), "chroot", SECCOMP_RET_ERRNO | EPERM);
  CHECK(r.rule == "not allowed");
  CHECK(r.fix == "to allow it add 'allow chroot' to syscalls");
  r = reason(entry("errno 1", 1), call(SYS_chroot), "chroot", SECCOMP_RET_ERRNO | EACCES);
  CHECK(r.rule == "denied by the rule 'errno EACCES chroot'");
  r = reason(entry("kill", 1), call(SYS_chroot), "chroot", SECCOMP_RET_KILL_PROCESS);
  CHECK(r.rule == "not allowed; the task was killed");
  r = reason(entry("errno 1", 2), call(SYS_ptrace), "ptrace", SECCOMP_RET_ERRNO | EPERM);
  CHECK(r.rule == "denied by the T2 baseline (ptrace is in its dangerous set)");
  r = reason(entry("errno 1", 1), call(SYS_clone3), "clone3", SECCOMP_RET_ERRNO | ENOSYS);
  CHECK(r.quiet);
  r = reason(entry("errno 1", 0), call(SYS_ptrace), "ptrace", SECCOMP_RET_ERRNO | EPERM);
  CHECK(r.rule == "not allowed");  // T0: no baseline
  HeldCall foreign = call(SYS_chroot);
  foreign.arch = AUDIT_ARCH_I386;
  CHECK(reason(entry("errno 1", 1), foreign, "chroot", SECCOMP_RET_KILL_PROCESS).fix ==
        "calls through another ABI cannot be allowed");
}
#endif
