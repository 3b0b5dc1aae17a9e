#include "runtime/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "runtime/exit_codes.h"
#include "runtime/hardening.h"
#include "runtime/limits.h"
#include "runtime/mounts.h"

namespace sbx::run {

namespace {

constexpr int kNamespaces =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP;

// Who the payload is: its host uid and gid, mapped to themselves inside the user namespace.
// Run by a user: that user. Run by root: the workspace's owner when that is not root, else
// nobody (65534); never root.
struct Identity {
  uid_t uid;
  gid_t gid;
};

Identity payloadIdentity(const std::string& workspace) {
  if (geteuid() != 0) return {getuid(), getgid()};
  struct stat st {};
  if (!workspace.empty() && stat(workspace.c_str(), &st) == 0 && st.st_uid != 0) return {st.st_uid, st.st_gid};
  return {65534, 65534};
}

bool writeAll(int fd, const std::string& text) {
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

bool writeIdMaps(pid_t child, const Identity& id) {
  auto file = [&](const char* name, const std::string& text) {
    int fd = ::open(fmt::format("/proc/{}/{}", child, name).c_str(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && writeAll(fd, text);
    if (fd >= 0) ::close(fd);
    return ok;
  };
  // Run by root, the sandbox's init stays root inside (it builds the root filesystem; files it
  // creates need an owner the namespace can name) and the payload switches to the mapped id.
  // Run by a user, that user is the only id there is.
  bool root = geteuid() == 0;
  auto map = [&](unsigned payloadId) {
    return root && payloadId != 0 ? fmt::format("0 0 1\n{0} {0} 1\n", payloadId)
                                  : fmt::format("{0} {0} 1\n", payloadId);
  };
  return file("uid_map", map(id.uid)) && file("setgroups", root ? "allow" : "deny") && file("gid_map", map(id.gid));
}

// The new network namespace has only loopback, and it starts down.
bool loopbackUp(std::string& error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &request) == 0 &&
            (request.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(fd, SIOCSIFFLAGS, &request) == 0);
  if (!ok) error = "bring up loopback: " + std::string(std::strerror(errno));
  if (fd >= 0) ::close(fd);
  return ok;
}

// A failure inside the sandbox: "step: reason" to the launcher through the error pipe, then exit.
[[noreturn]] void fail(int errorFd, int code, const std::string& what) {
  writeAll(errorFd, fmt::format("{}\n{}", code, what));
  _exit(code);
}

std::vector<std::string> environmentOf(const nlohmann::json& task) {
  std::vector<std::string> env;
  for (const auto& e : task.value("env", nlohmann::json::array())) {
    std::string name = e.value("name", "");
    if (e.contains("value")) {
      env.push_back(name + "=" + e["value"].get<std::string>());
    } else if (const char* inherited = std::getenv(name.c_str())) {
      env.push_back(name + "=" + inherited);
    }
  }
  return env;
}

// The payload (PID 2 in the sandbox): everything that narrows it, then exec.
[[noreturn]] void payload(const Task& task, const RunOptions& options, const std::vector<PlannedMount>& mounts,
                          const Identity& id, int errorFd) {
  std::string error;
  if (setsid() < 0) fail(errorFd, kLauncherFailure, "setsid: " + std::string(std::strerror(errno)));
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!applyRlimits(plannedRlimits(task.plan["task"].value("limits", nlohmann::json::object())), error))
    fail(errorFd, kLauncherFailure, error);
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
  syscall(SYS_close_range, 4, ~0U, 0);

  std::vector<std::string> env = environmentOf(task.plan["task"]);
  std::vector<char*> envp, argv;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.command;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string program = args[0];
  if (program.find('/') == std::string::npos)
    for (const char* dir : {"/usr/local/bin/", "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"})
      if (access((std::string(dir) + program).c_str(), X_OK) == 0) {
        program = std::string(dir) + program;
        break;
      }
  if (chdir("/") != 0) fail(errorFd, kLauncherFailure, "chdir /");
  for (const auto& m : mounts)
    if (m.type == "workspace" && chdir(m.target.c_str()) != 0) fail(errorFd, kLauncherFailure, "chdir " + m.target);

  if (!loadSeccomp(task.filter, error)) fail(errorFd, kLauncherFailure, error);  // last: the payload starts filtered
  execve(program.c_str(), argv.data(), envp.data());
  int e = errno;
  fail(errorFd, e == ENOENT ? kNotFound : kCannotExecute, fmt::format("{}: {}", options.command[0], std::strerror(e)));
}

// PID 1 of the sandbox: builds the root, starts the payload, reaps everything, reports the
// payload's status as its own exit code (128 + N for a signal).
[[noreturn]] void init(const Task& task, const RunOptions& options, std::vector<PlannedMount> mounts,
                       const Identity& id, int syncFd, int errorFd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  char go;
  if (::read(syncFd, &go, 1) != 1) _exit(kLauncherFailure);  // the launcher died or failed
  ::close(syncFd);
  std::string error;
  if (sethostname("sbx", 3) != 0) fail(errorFd, kLauncherFailure, "sethostname");
  if (!loopbackUp(error)) fail(errorFd, kLauncherFailure, error);
  if (!buildRoot(mounts, error)) fail(errorFd, kLauncherFailure, error);

  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) fail(errorFd, kLauncherFailure, "fork: " + std::string(std::strerror(errno)));
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    payload(task, options, mounts, id, errorFd);
  }
  ::close(errorFd);
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

int runSandboxed(const Task& task, const RunOptions& options, AuditLog& audit) {
  std::vector<PlannedMount> mounts;
  std::string error;
  if (!prepareMounts(task.plan, options.workspace, mounts, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  Identity id = payloadIdentity(options.workspace);
  int sync[2], errors[2];
  if (pipe2(sync, O_CLOEXEC) != 0 || pipe2(errors, O_CLOEXEC) != 0) {
    fmt::print(stderr, "sbx-run: pipe: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }
  pid_t child = static_cast<pid_t>(syscall(SYS_clone, kNamespaces | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (child < 0) {
    fmt::print(stderr, "sbx-run: cannot create the sandbox's namespaces: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }
  if (child == 0) {
    ::close(sync[1]);
    ::close(errors[0]);
    init(task, options, std::move(mounts), id, sync[0], errors[1]);
  }
  ::close(sync[0]);
  ::close(errors[1]);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  auto started = std::chrono::steady_clock::now();

  Cgroups cgroups;
  LimitReport limits;
  const auto& taskJson = task.plan["task"];
  cgroups.attach(child, taskJson.value("limits", nlohmann::json::object()), limits);
  if (!writeIdMaps(child, id) || !writeAll(sync[1], "g")) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    fmt::print(stderr, "sbx-run: cannot write the user namespace's id maps: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }
  ::close(sync[1]);
  audit.event("start", {{"task", taskJson.value("name", "")},
                        {"tier", task.tier},
                        {"planDigest", task.planDigest},
                        {"command", options.command},
                        {"uid", id.uid},
                        {"gid", id.gid}});

  // Setup errors arrive on the error pipe; it closes without a message when exec succeeds.
  std::string report = readAll(errors[0]);
  ::close(errors[0]);
  if (!report.empty()) {
    int code = std::atoi(report.c_str());
    std::string message = report.substr(report.find('\n') + 1);
    fmt::print(stderr, "sbx-run: {}\n", message);
    audit.event("setup-failed", {{"error", message}});
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return code ? code : kLauncherFailure;
  }
  for (const auto& m : mounts)
    audit.event("mount", {{"type", m.type}, {"source", m.source}, {"target", m.target}, {"readOnly", m.readOnly}});
  // The payload applied every rlimit, or it would have reported a failure instead of running.
  for (const auto& r : plannedRlimits(taskJson.value("limits", nlohmann::json::object())))
    limits.applied.push_back(fmt::format("rlimit {} {}", r.name, r.value));
  audit.event("limits", {{"applied", limits.applied}, {"notApplied", limits.notApplied}});

  // Wait for the sandbox's init, killing it (and with it every process inside) at the timeout.
  std::uint64_t timeoutMs = taskJson.value("timeoutMs", std::uint64_t{0});
  for (;;) {
    int waitMs = -1;
    if (timeoutMs) {
      auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
      waitMs = static_cast<int>(std::max<std::int64_t>(0, static_cast<std::int64_t>(timeoutMs) - elapsed));
    }
    pollfd p{pidfd, POLLIN, 0};
    int ready = poll(&p, 1, waitMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      audit.event("timeout", {{"timeoutMs", timeoutMs}});
      fmt::print(stderr, "sbx-run: the task's timeout of {} ms expired; the sandbox was killed\n", timeoutMs);
      return kTimeout;
    }
    break;
  }
  int status = 0;
  waitpid(child, &status, 0);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : kSignalBase + WTERMSIG(status);
  if (code > kSignalBase && code - kSignalBase == SIGSYS) audit.event("seccomp-kill", {{"signal", "SIGSYS"}});
  if (code > kSignalBase)
    audit.event("exit", {{"signal", code - kSignalBase}});
  else
    audit.event("exit", {{"status", code}});
  return code;
}

}  // namespace sbx::run
