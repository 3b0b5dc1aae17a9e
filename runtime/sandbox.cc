#include "runtime/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "runtime/broker.h"
#include "runtime/exit_codes.h"
#include "runtime/init.h"
#include "runtime/limits.h"
#include "runtime/mounts.h"
#include "runtime/network.h"
#include "runtime/proxy.h"
#include "runtime/tool_broker.h"
#include "runtime/tool_gates.h"
#include "runtime/user_ns.h"

namespace sbx::run {

namespace {

constexpr int kNamespaces =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP;

// The sandbox's setup report: empty when the payload exec'd, else "CODE\nstep: reason". Read into
// a fixed buffer: init shares this process's memory until the pipe closes (init.h).
struct SetupReport {
  std::array<char, 4096> text{};
  std::size_t size = 0;
};

void readReport(int fd, SetupReport& report) {
  for (ssize_t n; report.size < report.text.size() &&
                  (n = ::read(fd, report.text.data() + report.size, report.text.size() - report.size)) != 0;)
    if (n > 0)
      report.size += static_cast<std::size_t>(n);
    else if (errno != EINTR)
      break;
}

enum class Ended { Exited, Timeout, CpuTime };

// Waits for init to exit, or for the task's wall-clock timeout, or for the whole sandbox to have
// used its CPU time (checked every 50 ms where a cgroup accounts for it).
Ended waitForInit(int pidfd, std::uint64_t timeoutMs, std::chrono::steady_clock::time_point started,
                  const Cgroups& cgroups) {
  using namespace std::chrono;
  bool accounting = cgroups.cpuUsedMs().has_value();
  for (;;) {
    auto elapsed = duration_cast<milliseconds>(steady_clock::now() - started).count();
    if (timeoutMs && elapsed >= static_cast<std::int64_t>(timeoutMs)) return Ended::Timeout;
    int waitMs = timeoutMs ? static_cast<int>(static_cast<std::int64_t>(timeoutMs) - elapsed) : -1;
    if (accounting) waitMs = waitMs < 0 ? 50 : std::min(waitMs, 50);
    pollfd p{pidfd, POLLIN, 0};
    int ready = poll(&p, 1, waitMs);
    if (ready > 0) return Ended::Exited;
    if (ready < 0 && errno != EINTR) return Ended::Exited;  // waitpid reports what happened
    if (auto used = cgroups.cpuUsedMs(); used && *used >= cgroups.cpuLimitMs()) return Ended::CpuTime;
  }
}

void auditSetup(AuditLog& audit, const Task& task, const std::vector<PlannedMount>& mounts, LimitReport& limits) {
  if (!audit.enabled()) return;
  for (const auto& m : mounts)
    audit.event("mount", {{"type", m.type}, {"source", m.source}, {"target", m.target}, {"readOnly", m.readOnly}});
  // The payload applied every rlimit, or it would have reported a failure instead of running.
  for (const auto& r : plannedRlimits(task.plan["task"].value("limits", nlohmann::json::object())))
    limits.applied.push_back(fmt::format("rlimit {} {}", r.name, r.value));
  audit.event("limits", {{"applied", limits.applied}, {"notApplied", limits.notApplied}});
}

}  // namespace

int runSandboxed(const Task& task, const RunOptions& options, AuditLog& audit) {
  const auto& taskJson = task.plan["task"];
  std::vector<PlannedMount> mounts;
  std::string error;
  if (!prepareMounts(task.plan, options.workspace, mounts, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  // Everything the launcher needs while init shares its memory is made here, before init exists.
  Identity id = payloadIdentity(options.workspace);
  audit.event("start", {{"task", taskJson.value("name", "")},
                        {"tier", task.tier},
                        {"planDigest", task.planDigest},
                        {"command", options.command},
                        {"uid", id.uid},
                        {"gid", id.gid}});
  std::optional<ToolGates> gates;  // only a task with tool tokens pays for them
  if (planHasToolTokens(task.plan) && !planToolGates(task.plan, task.filter, gates.emplace(), error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  Broker broker(audit);  // revokes the tokens when the run ends, after everything declared later
  if (!broker.issue(task.plan, options.runId, options.stateDir, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  for (auto& m : broker.secretMounts(id.uid, id.gid)) mounts.push_back(std::move(m));
  if (gates) {
    attachTokens(*gates, broker);
    mounts.push_back(toolGateMount(*gates));
  }
  IdMaps maps = idMapsFor(id);
  LimitReport limits;
  Cgroups cgroups;
  cgroups.create(taskJson.value("limits", nlohmann::json::object()), limits);
  auto tools = taskJson.value("tools", nlohmann::json::array());
  EgressRules egressRules = EgressRules::fromPlan(task.plan.value("egress", nlohmann::json::array()),
                                                  gates ? toolsWithCopies(tools, *gates) : tools);
  SetupReport report;
  ChildStack stack;
  int sync[2], errors[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0 || pipe2(errors, O_CLOEXEC) != 0) {
    fmt::print(stderr, "sbx-run: pipe: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }

  std::vector<std::string> extraEnvironment = broker.environment();
  if (!egressRules.empty())
    for (auto& e : proxyEnvironment()) extraEnvironment.push_back(std::move(e));
  InitArgs args{&task,
                &options,
                &mounts,
                &id,
                sync[0],
                errors[1],
                !egressRules.empty(),
                &extraEnvironment,
                gates ? &*gates : nullptr};
  pid_t child = startInit(args, kNamespaces, stack);
  if (child < 0) {
    fmt::print(stderr, "sbx-run: cannot create the sandbox's namespaces: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }
  // Until the error pipe closes: system calls on prepared buffers, no allocation (init.h).
  auto started = std::chrono::steady_clock::now();
  ::close(sync[0]);
  ::close(errors[1]);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  bool mapped = writeIdMaps(child, maps);
  int mapError = errno;
  cgroups.join(child);
  bool released = mapped && send(sync[1], "g", 1, MSG_NOSIGNAL) == 1;
  int proxyListener = released && args.egressProxy ? receiveDescriptor(sync[1]) : -1;
  int toolListener = released && gates ? receiveDescriptor(sync[1]) : -1;
  ::close(sync[1]);  // without the byte, init exits
  if (released) readReport(errors[0], report);
  ::close(errors[0]);
  // From here on init allocates nothing: this process's memory is its own again.

  if (!released) {
    waitpid(child, nullptr, 0);
    fmt::print(stderr, "sbx-run: cannot write the user namespace's id maps: {}\n", std::strerror(mapError));
    return kLauncherFailure;
  }
  cgroups.report(limits);
  if (report.size) {
    std::string text(report.text.data(), report.size);
    int code = std::atoi(text.c_str());
    std::string message = text.substr(text.find('\n') + 1);
    fmt::print(stderr, "sbx-run: {}\n", message);
    audit.event("setup-failed", {{"error", message}});
    if (toolListener >= 0) ::close(toolListener);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return code ? code : kLauncherFailure;
  }
  auditSetup(audit, task, mounts, limits);
  std::optional<ToolBroker> toolBroker;
  if (toolListener >= 0) toolBroker.emplace(toolListener, *gates, audit).start();
  std::optional<EgressProxy> proxy;
  if (proxyListener >= 0) {
    proxy.emplace(proxyListener, std::move(egressRules), audit, child,
                  taskJson.value("limits", nlohmann::json::object()));
    proxy->start();
    audit.event("egress-proxy", {{"listen", fmt::format("{}:{}", kProxyAddress, kProxyPort)}});
  }

  std::uint64_t timeoutMs = taskJson.value("timeoutMs", std::uint64_t{0});
  Ended ended = waitForInit(pidfd, timeoutMs, started, cgroups);
  if (ended != Ended::Exited) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    if (proxy) proxy->stop();
    if (ended == Ended::Timeout) {
      audit.event("timeout", {{"timeoutMs", timeoutMs}});
      fmt::print(stderr, "sbx-run: the task's timeout of {} ms expired; the sandbox was killed\n", timeoutMs);
      return kTimeout;
    }
    audit.event("cpu-limit", {{"cpuMs", cgroups.cpuLimitMs()}});
    fmt::print(stderr, "sbx-run: the task used its CPU time of {} ms; the sandbox was killed\n", cgroups.cpuLimitMs());
    return kSignalBase + SIGXCPU;
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (proxy) proxy->stop();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : kSignalBase + WTERMSIG(status);
  if (code > kSignalBase && code - kSignalBase == SIGSYS) audit.event("seccomp-kill", {{"signal", "SIGSYS"}});
  if (code > kSignalBase)
    audit.event("exit", {{"signal", code - kSignalBase}});
  else
    audit.event("exit", {{"status", code}});
  return code;
}

}  // namespace sbx::run
