#include "support/escape_suite.h"

#include <doctest/doctest.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "support/http_server.h"

namespace sbx::test {

const std::vector<std::string>& escapeAttempts() {
  static const std::vector<std::string> names = {"read-host-file",
                                                 "read-proc-1-root",
                                                 "write-read-only",
                                                 "remount-rw",
                                                 "mount",
                                                 "unshare",
                                                 "setns",
                                                 "chroot",
                                                 "ptrace",
                                                 "bpf",
                                                 "add_key",
                                                 "perf_event_open",
                                                 "userfaultfd",
                                                 "io_uring_setup",
                                                 "x32-syscall",
                                                 "i386-int80",
                                                 "tiocsti",
                                                 "tiocsti-high-bits",
                                                 "tioclinux",
                                                 "raw-socket",
                                                 "netlink-socket",
                                                 "dev-mem",
                                                 "dev-kmsg",
                                                 "sysrq-trigger",
                                                 "capabilities",
                                                 "no-new-privs",
                                                 "fork-bomb",
                                                 "memory-bomb",
                                                 "host-environment",
                                                 "inherited-fd",
                                                 "host-loopback"};
  return names;
}

const std::vector<std::string>& launcherAttempts() {
  static const std::vector<std::string> names = {
      "proc-1-mem-open", "proc-1-maps",      "proc-1-fd",         "proc-1-cwd",         "proc-1-map-files",
      "proc-1-environ",  "process-vm-readv", "process-vm-writev", "pidfd-getfd-init",   "kcmp-init",
      "clone-newuser",   "clone-newns",      "clone3-newuser",    "unshare-newns",      "unshare-newtime",
      "fsopen",          "open-tree",        "open-by-handle",    "prctl-set-mm",       "tiocsetd",
      "tioccons",        "keyctl-join",      "personality",       "vsock-listen",       "core-dumps",
      "sys-fs-cgroup",   "sysv-shm",         "abstract-unix",     "raise-rlimit",       "signal-all",
      "nice-raise",      "sched-fifo",       "ioprio-rt",         "oom-score-adj-lower"};
  return names;
}

std::string escapeCommand(const std::string& command) {
  return fmt::format("exec 7</etc/hostname; SBX_ESCAPE_CANARY=1 exec {}", command);
}

namespace {

// What the host shares through the namespaces the sandbox must not share: a System V segment
// every user may attach, and a listening abstract UNIX socket.
struct HostIpc {
  int shmId = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0666);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::string abstractName = fmt::format("sbx-escape-{}", getpid());
  HostIpc() {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, abstractName.data(), abstractName.size());
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstractName.size());
    if (shmId < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(listener, 16) != 0)
      FAIL("host IPC objects for the escape suite");
  }
  ~HostIpc() {
    shmctl(shmId, IPC_RMID, nullptr);
    close(listener);
  }
  HostIpc(const HostIpc&) = delete;
  HostIpc& operator=(const HostIpc&) = delete;
};

}  // namespace

int runEscapeSuite(const std::string& label, const EscapeRunner& runner, const std::vector<std::string>& names) {
  LoopbackListener listener;
  HostIpc hostIpc;
  const std::map<std::string, std::string> arguments = {{"inherited-fd", "7"},
                                                        {"host-loopback", std::to_string(listener.port)},
                                                        {"sysv-shm", std::to_string(hostIpc.shmId)},
                                                        {"abstract-unix", hostIpc.abstractName}};
  int applicable = 0;
  for (const auto& name : names) {
    auto known = arguments.find(name);
    std::string arg = known == arguments.end() ? "" : known->second;
    Run control = runner(name, arg, false);
    Run inside = runner(name, arg, true);
    INFO(label << " " << name << "\ncontrol: " << control.out << control.err << "\ninside (exit " << inside.exitCode
               << "): " << inside.out << inside.err);
    CHECK(inside.out.find("ESCAPED") == std::string::npos);
    // Blocked: a BLOCKED verdict, or the payload killed (by seccomp: SIGSYS, exit 159).
    CHECK((inside.out.starts_with("BLOCKED") || inside.exitCode > 128));
    if (control.out.starts_with("ESCAPED"))
      ++applicable;
    else
      MESSAGE(label << ": " << name << " is not applicable (refused outside the sandbox too: " << control.out << ")");
  }
  fmt::print(stderr, "escape suite {}: {} of {} attempts applicable, all blocked inside\n", label, applicable,
             names.size());
  return applicable;
}

EscapeScratch::EscapeScratch(bool nobody) : workspace(dir.path() / "ws"), cache(dir.path() / "cache") {
  namespace fs = std::filesystem;
  fs::create_directories(workspace);
  fs::create_directories(cache);
  fs::copy_file(sourceDir() / "tests/runtime/escapes.py", workspace / "escapes.py");
  fs::permissions(dir.path(), fs::perms::all | fs::perms::sticky_bit);  // like /tmp: the cache may sit below it
  if (geteuid() == 0)
    if (chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown " << workspace);
  if (nobody)
    for (const auto& p : {dir.path(), cache, workspace / "escapes.py"})
      if (chown(p.c_str(), 65534, 65534) != 0) FAIL("chown " << p);
}

LoopbackListener::LoopbackListener() : fd(listenOnLoopback(0, 16)), port(boundPort(fd)) {}

LoopbackListener::~LoopbackListener() {
  close(fd);
}

}  // namespace sbx::test
