#include "runtime/init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "runtime/denial_filter.h"
#include "runtime/dns_stub.h"
#include "runtime/exit_codes.h"
#include "runtime/hardening.h"
#include "runtime/limits.h"
#include "runtime/network.h"
#include "runtime/notify_rules.h"
#include "runtime/proxy.h"
#include "runtime/sandbox.h"
#include "runtime/tool_gates.h"
#include "util/workspace.h"

namespace sbx::run {

namespace {

constexpr std::size_t kStackBytes = 1 << 20;

bool writeAll(int fd, const std::string& text) {
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// A failure inside the sandbox: "step: reason" to the launcher through the error pipe, then exit.
[[noreturn]] void fail(int errorFd, int code, const std::string& what) {
  writeAll(errorFd, fmt::format("{}\n{}", code, what));
  _exit(code);
}

std::vector<std::string> environmentOf(const plan::TaskDescription& task) {
  std::vector<std::string> env;
  for (const auto& e : task.env) {
    if (e.value) {
      env.push_back(e.name + "=" + *e.value);
    } else if (const char* inherited = std::getenv(e.name.c_str())) {
      env.push_back(e.name + "=" + inherited);
    }
  }
  return env;
}

// The program to exec: a name without a slash is looked up in the usual directories.
std::string programPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  for (const char* dir : {"/usr/local/bin/", "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"})
    if (std::string path = dir + name; access(path.c_str(), X_OK) == 0) return path;
  return name;
}

// The payload (PID 2 in the sandbox): everything that narrows it, then exec. What execve needs is
// built before the rlimits are set; from there on the payload only makes system calls (init.h).
[[noreturn]] void payload(const CompiledTask& task, const RunOptions& options, const std::vector<PlannedMount>& mounts,
                          const Identity& id, int errorFd, const std::vector<std::string>& extraEnvironment,
                          SupervisionHandoff* handoff) {
  std::vector<std::string> env = environmentOf(task.plan.task);
  env.insert(env.end(), extraEnvironment.begin(), extraEnvironment.end());
  std::vector<char*> envp, argv;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.command;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string program = programPath(args[0]);
  const char* workspace = "/";
  for (const auto& m : mounts)
    if (m.type == "workspace") workspace = kWorkspaceMountPoint;  // also when only paths inside it are granted
  std::vector<Rlimit> rlimits = plannedRlimits(task.plan.task.limits);
  // Where vm.memfd_noexec could not be set (mounts.cc), the filter refuses executable memfds.
  // On an ID-mapped workspace, no set-id modes (hardening.h).
  bool memfdGuard = noExecFromWritable(mounts) && !executableMemfdsForbidden(), setIdGuard = anyIdmapped(mounts);
  std::vector<sock_filter> guarded;
  if (memfdGuard || setIdGuard) guarded = guardedFilter(task.filter, memfdGuard, setIdGuard);
  const std::vector<sock_filter>& filter = guarded.empty() ? task.filter : guarded;
  // Denials held for the launcher's supervisor (denial_filter.h), when the calls made before the
  // exec would not be held themselves with nobody there yet to answer.
  std::vector<sock_filter> supervised;
  if (handoff && supervisableStart(filter, program.c_str(), argv.data(), envp.data()))
    supervised = notifyingDenials(filter);
  // A task with egress: its connects are the supervisor's to make (socket_broker.h).
  if (!supervised.empty() && handoff->brokerSockets)
    if (auto composed = withBrokeredCalls(supervised)) {
      supervised = std::move(*composed);
      handoff->socketsBrokered = true;
    }
  if (handoff) {
    handoff->memfdGuarded = memfdGuard;
    handoff->setIdGuarded = setIdGuard;
  }

  std::string error;
  if (setsid() < 0) fail(errorFd, kLauncherFailure, "setsid: " + std::string(std::strerror(errno)));
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!applyRlimits(rlimits, error)) fail(errorFd, kLauncherFailure, error);
  if (!dropBoundingAndAmbient(error)) fail(errorFd, kLauncherFailure, error);
  if (getuid() == 0 && setgroups(0, nullptr) != 0)
    fail(errorFd, kLauncherFailure, "drop supplementary groups: " + std::string(std::strerror(errno)));
  if (setresgid(id.gid, id.gid, id.gid) != 0 || setresuid(id.uid, id.uid, id.uid) != 0)
    fail(errorFd, kLauncherFailure, "switch to the payload's ids: " + std::string(std::strerror(errno)));
  if (!clearCapabilitySets(error) || !setNoNewPrivileges(error)) fail(errorFd, kLauncherFailure, error);
  bool landlock = false;
  if (!applyLandlock(mounts, landlock, error)) fail(errorFd, kLauncherFailure, error);

  // Descriptors: 0-2 stay, the error pipe moves to 3 (closed by exec), everything else goes.
  if (dup2(errorFd, 3) != 3) fail(errorFd, kLauncherFailure, "dup2: " + std::string(std::strerror(errno)));
  errorFd = 3;
  fcntl(errorFd, F_SETFD, FD_CLOEXEC);
  // Under supervision init shares this descriptor table until the exec (spawnPayload): closed at
  // the exec rather than now, so that init keeps the channel the listener leaves by.
  syscall(SYS_close_range, 4, ~0U, handoff ? CLOSE_RANGE_CLOEXEC : 0);
  if (chdir(workspace) != 0) fail(errorFd, kLauncherFailure, std::string("chdir ") + workspace);

  // Init keeps sharing the launcher's memory after this exec (init.h): non-dumpable, its /proc
  // files (mem, fd, maps) are the host root's and only a tracer with CAP_SYS_PTRACE in the host's
  // namespace reaches them, even where Landlock's scoping is missing. Not earlier: the launcher
  // writes init's id maps and reads /proc/INIT/syscall during the set-up (stop_signals.cc).
  prctl(PR_SET_DUMPABLE, 0);
  // Last: the payload starts filtered. The listener is close-on-exec; init's table keeps it.
  int listener = supervised.empty() ? -1 : loadSeccompWithListener(supervised);
  if (listener < 0 && !loadSeccomp(filter, error)) fail(errorFd, kLauncherFailure, error);
  if (handoff) handoff->listener = listener;
  execve(program.c_str(), argv.data(), envp.data());
  int e = errno;
  if (listener >= 0) {  // nobody answers yet: a held call would wait for ever, a closed listener fails it
    ::close(listener);
    handoff->listener = -1;
  }
  fail(errorFd, e == ENOENT ? kNotFound : kCannotExecute, fmt::format("{}: {}", options.command[0], std::strerror(e)));
}

struct PayloadStart {
  const CompiledTask* task;
  const RunOptions* options;
  const std::vector<PlannedMount>* mounts;
  const Identity* id;
  int errorFd;
  const std::vector<std::string>* extraEnvironment;
  SupervisionHandoff* handoff;  // null: no supervisor
  sigset_t signalMask;          // init's mask before it blocked everything
};

// Starts the payload on a stack of its own, sharing init's memory, init suspended until the
// payload execs or fails (CLONE_VFORK), so nothing races on the shared heap. Under supervision it
// shares init's descriptors too, until its exec: the seccomp listener it makes stays with init.
pid_t spawnPayload(PayloadStart& start) {
  ChildStack stack;  // released once the payload has exec'd or exited
  if (!stack.top()) return -1;
  auto entry = [](void* arg) -> int {
    auto& s = *static_cast<PayloadStart*>(arg);
    sigprocmask(SIG_SETMASK, &s.signalMask, nullptr);
    payload(*s.task, *s.options, *s.mounts, *s.id, s.errorFd, *s.extraEnvironment, s.handoff);
  };
  int shared = start.handoff ? CLONE_FILES : 0;
  return clone(entry, stack.top(), CLONE_VM | CLONE_VFORK | shared | SIGCHLD, &start);
}

// After the payload's exec (or failure): the listener it left in the table init shares goes to
// the launcher, and init's copies of it and of the error pipe (the payload's descriptor 3) close,
// so that the pipe's end tells the launcher the payload exec'd.
void handOverListener(const SupervisionHandoff& handoff, int channel) {
  if (handoff.listener >= 0) {
    sendDescriptor(channel, handoff.listener);
    ::close(handoff.listener);
  }
  ::close(channel);
  ::close(3);
}

// PID 1 of the sandbox: builds the root, starts the payload, reaps everything, reports the
// payload's status as its own exit code (128 + N for a signal).
[[noreturn]] void init(const InitArgs& args) {
  const CompiledTask& task = *args.task;
  const RunOptions& options = *args.options;
  std::vector<PlannedMount>& mounts = *args.mounts;
  const Identity& id = *args.id;
  int errorFd = args.errorFd;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The launcher's go-ahead: the id maps are written (init may act as root in its namespace)
  // and the cgroups joined.
  char go;
  if (::read(args.syncFd, &go, 1) != 1) _exit(kLauncherFailure);  // the launcher died or failed
  std::string error;
  if (sethostname("sbx", 3) != 0) fail(errorFd, kLauncherFailure, "sethostname");
  if (!loopbackUp(error)) fail(errorFd, kLauncherFailure, error);
  if (args.egressProxy) {
    int listener = listenForProxy(error);
    if (listener < 0) fail(errorFd, kLauncherFailure, error);
    if (!sendDescriptor(args.syncFd, listener)) fail(errorFd, kLauncherFailure, "pass the egress proxy's socket");
    ::close(listener);
  }
  if (args.dnsStub) {
    int udp = -1, tcp = -1;
    if (!openDnsStubSockets(udp, tcp, error)) fail(errorFd, kLauncherFailure, error);
    if (!sendDescriptor(args.syncFd, udp) || !sendDescriptor(args.syncFd, tcp))
      fail(errorFd, kLauncherFailure, "pass the DNS stub's sockets");
    ::close(udp);
    ::close(tcp);
  }
  if (!args.toolGates && !args.handoff) ::close(args.syncFd);
  if (!buildRoot(mounts, id, error)) fail(errorFd, kLauncherFailure, error);
  if (args.toolGates) {  // the socket is made with the gates (tool_gates.h), in the new root
    if (!sendDescriptor(args.syncFd, args.toolGates->listener))
      fail(errorFd, kLauncherFailure, "pass the token broker's socket");
    ::close(args.toolGates->listener);
    if (!args.handoff) ::close(args.syncFd);
  }
  // The payload writes its error pipe's copy to descriptor 3 of the table it shares with init.
  int handoffFd = args.handoff ? fcntl(args.syncFd, F_DUPFD_CLOEXEC, 4) : -1;
  if (args.handoff) ::close(args.syncFd);

  sigset_t all;
  sigfillset(&all);
  PayloadStart start{&task, &options, &mounts, &id, errorFd, args.extraEnvironment, args.handoff, {}};
  sigprocmask(SIG_BLOCK, &all, &start.signalMask);
  pid_t child = spawnPayload(start);
  if (child < 0) fail(errorFd, kLauncherFailure, "clone: " + std::string(std::strerror(errno)));
  if (args.handoff) handOverListener(*args.handoff, handoffFd);
  ::close(errorFd);
  // From here on nothing allocates: the launcher's memory is its own again.
  for (;;) {
    siginfo_t info{};
    int sig = sigwaitinfo(&all, &info);
    if (sig == SIGCHLD) {
      int status = 0;
      for (pid_t p; (p = waitpid(-1, &status, WNOHANG)) > 0;) {
        if (p != child) continue;
        kill(-1, SIGKILL);  // whatever the payload left behind dies with it
        while (waitpid(-1, nullptr, 0) > 0) {
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : kSignalBase + WTERMSIG(status));
      }
    } else if (sig > 0) {
      kill(-child, sig);  // forward to the payload's session
    }
  }
}

}  // namespace

ChildStack::ChildStack()
    : base_(mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)) {}

ChildStack::~ChildStack() {
  if (base_ == MAP_FAILED) return;
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer does not know this memory was a stack: the frames init and the payload left
  // poisoned here would outlive the mapping and be found by whatever is mapped here next (a proxy
  // thread's stack, reported as a stack-use-after-scope).
  __asan_unpoison_memory_region(base_, kStackBytes);
#endif
  munmap(base_, kStackBytes);
}

void* ChildStack::top() const {
  return base_ == MAP_FAILED ? nullptr : static_cast<char*>(base_) + kStackBytes;
}

pid_t startInit(InitArgs& args, int namespaces, const ChildStack& stack) {
  if (!stack.top()) return -1;
  auto entry = [](void* arg) -> int { init(*static_cast<InitArgs*>(arg)); };
  return clone(entry, stack.top(), namespaces | CLONE_VM | SIGCHLD, &args);
}

}  // namespace sbx::run
