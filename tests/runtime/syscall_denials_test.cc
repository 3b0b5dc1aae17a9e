// Denied system calls explain themselves (issue 16, point 4): sbx-run's supervisor names the call,
// its decoded arguments and the rule, with the line that would allow it, on stderr and in the
// audit log; the call does not run; a kill rule still kills (exit 159); a task looping on a denied
// call prints one line and a count. And the rule behind it, against the real kernel: a held call
// never runs, even with nobody left to answer (the listener closed: ENOSYS).
#include <doctest/doctest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "bpf/bpf_interpreter.h"
#include "runtime/denial_filter.h"
#include "support/escape_suite.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// Allows everything but chroot, which fails with EPERM: the task's filter before the rewrite.
std::vector<sock_filter> chrootDenied() {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_chroot, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

// In a child: loads the rewritten filter, closes the listener, and reports (as its exit code)
// 0 when chroot fails with ENOSYS, a listener of its own is refused with EPERM and getpid runs.
int heldWithNobodyToAnswer() {
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int listener = sbx::run::loadSeccompWithListener(sbx::run::notifyingDenials(chrootDenied()));
    if (listener < 0) _exit(10);
    close(listener);
    if (syscall(SYS_chroot, "/tmp") == 0) _exit(11);
    if (errno != ENOSYS) _exit(12);
    std::vector<sock_filter> own = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    sock_fprog program{1, own.data()};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program) >= 0) _exit(13);
    if (errno != EPERM) _exit(14);
    _exit(getpid() > 0 ? 0 : 15);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

std::string policy(const std::string& rules) {
  return fmt::format(R"(import std.programs
task denials {{
  use programs.python3
  write workspace
  timeout 20s
  syscalls {{
    default errno EPERM
    {}
  }}
  limits {{ memory 256MiB  pids 32 }}
}}
)",
                     rules);
}

struct Denials {
  EscapeScratch scratch;
  fs::path policyFile, audit;
  const Mode& mode;
  Denials(const Mode& m, const std::string& rules)
      : scratch(m.name == "nobody"),
        policyFile(scratch.dir.path() / "denials.sbx"),
        audit(scratch.dir.path() / "audit.jsonl"),
        mode(m) {
    writeText(policyFile, policy(rules));
  }
  Run python(const std::string& code) const {
    std::vector<std::string> argv = mode.prefix;
    argv.insert(argv.end(), {SBX_RUN_BINARY, "--workspace", scratch.workspace.string(), "--audit", audit.string(),
                             policyFile.string(), "--", "/usr/bin/python3", "-c", code});
    return run(argv, "", scratch.dir.path().string(),
               {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + scratch.cache.string()});
  }
  std::size_t auditCount(const std::string& needle) const {
    std::string text = fs::exists(audit) ? readText(audit) : "";
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
};

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

constexpr const char* kChroot = R"(import os
try:
    os.chroot("/tmp")
    print("chroot ran")
except OSError as e:
    print("errno", e.errno)
print("root", sorted(os.listdir("/"))[:3])
links = []
for fd in os.listdir("/proc/self/fd"):
    try:
        links.append(os.readlink("/proc/self/fd/" + fd))
    except OSError:  # the listing's own descriptor
        pass
print("listener held" if any("seccomp" in l for l in links) else "no listener")
print([l for l in open("/proc/self/status") if l.startswith("Seccomp_filters")][0].strip())
)";

}  // namespace

TEST_CASE("syscall supervisor: a held call never runs once the listener is closed (ENOSYS)") {
  CHECK(heldWithNobodyToAnswer() == 0);
}

TEST_CASE("syscall supervisor: the rewritten filter holds only denials, and the kernel still caches its allows") {
  std::vector<sock_filter> filter = chrootDenied();
  std::vector<sock_filter> held = sbx::run::notifyingDenials(filter);
  sbx::seccomp::SeccompData chroot, getpid;
  chroot.arch = getpid.arch = AUDIT_ARCH_X86_64;
  chroot.nr = SYS_chroot;
  getpid.nr = SYS_getpid;
  CHECK(sbx::seccomp::interpret(held, chroot).action == SECCOMP_RET_USER_NOTIF);
  CHECK(sbx::seccomp::interpret(held, getpid).action == SECCOMP_RET_ALLOW);
  CHECK(sbx::seccomp::kernelCachesAllow(held, AUDIT_ARCH_X86_64, SYS_getpid));
  CHECK(sbx::run::originalAction(filter, AUDIT_ARCH_X86_64, SYS_chroot, 0, chroot.args) == (SECCOMP_RET_ERRNO | EPERM));
}

TEST_CASE("syscall supervisor: chroot and ptrace denied are named with their arguments, rule and fix") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    Denials d(mode, "");
    Run r = d.python(kChroot);
    CHECK(r.exitCode == 0);
    CHECK(r.out.find("errno 1") != std::string::npos);
    CHECK(r.out.find("chroot ran") == std::string::npos);
    CHECK(r.out.find("no listener") != std::string::npos);  // the listener is the launcher's alone
    CHECK(r.out.find("Seccomp_filters:\t1") != std::string::npos);
    CHECK(r.err.find("sbx-run: blocked chroot(\"/tmp\") (syscall 161) in task denials: not allowed; to allow it add "
                     "'allow chroot' to syscalls") != std::string::npos);
    CHECK(d.auditCount("\"event\":\"syscall-denied\",\"syscall\":\"chroot\"") == 1);
    CHECK(d.auditCount("\"call\":\"chroot(\\\"/tmp\\\")\"") == 1);

    r = d.python(
        "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\nprint(l.ptrace(0, 0, 0, 0), ctypes.get_errno())");
    CHECK(r.out.find("-1 1") != std::string::npos);
    CHECK(r.err.find("blocked ptrace(PTRACE_TRACEME, 0, 0x0, 0x0) (syscall 101) in task denials: denied by the T") !=
          std::string::npos);
    CHECK(d.auditCount("\"syscall\":\"ptrace\"") == 1);
  }
}

TEST_CASE("syscall supervisor: a kill rule kills the task (exit 159) and says which call") {
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    Denials d(mode, "kill chroot");
    Run r = d.python(kChroot);
    CHECK(r.exitCode == 159);
    CHECK(r.out.find("errno") == std::string::npos);
    CHECK(r.err.find("blocked chroot(\"/tmp\") (syscall 161) in task denials: denied by the rule 'kill chroot'; the "
                     "task was killed") != std::string::npos);
    CHECK(d.auditCount("\"event\":\"seccomp-kill\"") == 1);
  }
}

TEST_CASE("syscall supervisor: an explicit errno rule is named, and a loop of denials prints one line and a count") {
  Denials d(kModes[0], "errno EACCES chroot");
  Run r = d.python(
      "import os\nfor i in range(2000):\n    try: os.chroot('/x%d' % i)\n    except OSError as e: n = "
      "e.errno\nprint('last', n)");
  CHECK(r.exitCode == 0);
  CHECK(r.out.find("last 13") != std::string::npos);
  CHECK(count(r.err, "sbx-run: blocked chroot(") == 1);
  CHECK(r.err.find("denied by the rule 'errno EACCES chroot'") != std::string::npos);
  CHECK(r.err.find("sbx-run: 2000 denied system calls in all; 1999 of them not shown") != std::string::npos);
  CHECK(d.auditCount("\"event\":\"syscall-denied\"") == 200);
  CHECK(d.auditCount("\"event\":\"syscall-denials\",\"total\":2000") == 1);
}

TEST_CASE("syscall supervisor: a notify rule is refused with EPERM and reported, and a trap rule's SIGSYS is told") {
  Denials d(kModes[0], "notify chroot\n    trap acct");  // acct: python has no wrapper, ctypes calls it
  Run r = d.python(kChroot);
  CHECK(r.exitCode == 0);
  CHECK(r.out.find("errno 1") != std::string::npos);
  CHECK(r.err.find("blocked chroot(\"/tmp\") (syscall 161) in task denials: denied by the rule 'notify chroot'; the "
                   "supervisor refuses it (EPERM)") != std::string::npos);
  r = d.python("import ctypes\nctypes.CDLL(None).acct(b'/tmp/x')");
  CHECK(r.exitCode == 159);
  CHECK(r.err.find("sbx-run: the command died of SIGSYS: a system call its filter kills or traps") !=
        std::string::npos);
}
