#include "runtime/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "plan/plan_json.h"
#include "runtime/broker.h"
#include "runtime/dns_stub.h"
#include "runtime/exit_codes.h"
#include "runtime/hardening.h"
#include "runtime/host_secret.h"
#include "runtime/init.h"
#include "runtime/injected_tokens.h"
#include "runtime/inspector_process.h"
#include "runtime/limits.h"
#include "runtime/mounts.h"
#include "runtime/network.h"
#include "runtime/proxy.h"
#include "runtime/socket_broker.h"
#include "runtime/stop_signals.h"
#include "runtime/stub_resolv_conf.h"
#include "runtime/syscall_supervisor.h"
#include "runtime/tool_broker.h"
#include "runtime/tool_gates.h"
#include "runtime/user_ns.h"
#include "runtime/workspace_idmap.h"

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

// Reads the report until the pipe closes (the payload exec'd or init failed), the deadline, or a
// stop signal.
Wait readReport(int fd, SetupReport& report, Deadline deadline) {
  while (report.size < report.text.size()) {
    if (Wait w = waitReadable(fd, deadline); w != Wait::Ready) return w;
    ssize_t n = ::read(fd, report.text.data() + report.size, report.text.size() - report.size);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
    if (n > 0) report.size += static_cast<std::size_t>(n);
  }
  return Wait::Ready;
}

// How long a payload has, after a stop signal was forwarded, before the sandbox is killed.
constexpr std::chrono::milliseconds kStopGrace{3000};

enum class Ended { Exited, Timeout, CpuTime };

// Waits for init to exit, or for the task's wall-clock timeout, or for the whole sandbox to have
// used its CPU time (checked every 50 ms where a cgroup accounts for it). A stop signal to the
// launcher is forwarded to init (which forwards it to the payload's session); the sandbox is
// killed if it is still there after kStopGrace.
Ended waitForInit(pid_t child, int pidfd, Deadline deadline, const Cgroups& cgroups, AuditLog& audit) {
  using namespace std::chrono;
  bool accounting = cgroups.cpuUsedMs().has_value();
  int forwarded = 0;
  auto killAt = Deadline::max();
  for (;;) {
    auto now = steady_clock::now();
    if (now >= deadline) return Ended::Timeout;
    if (int signal = stopSignal(); signal && !forwarded) {
      forwarded = signal;
      kill(child, signal);
      audit.event("signal", {{"signal", signal}, {"forwarded", true}});
      killAt = now + kStopGrace;
    }
    if (now >= killAt) {
      kill(child, SIGKILL);  // init's status then tells the signal
      killAt = Deadline::max();
    }
    auto until = std::min(deadline, killAt);
    int waitMs = until == Deadline::max() ? -1
                                          : static_cast<int>(std::min<std::int64_t>(
                                                duration_cast<milliseconds>(until - now).count() + 1, 50'000'000));
    if (accounting) waitMs = waitMs < 0 ? 50 : std::min(waitMs, 50);
    pollfd p[2] = {{pidfd, POLLIN, 0}, {forwarded ? -1 : stopSignalFd(), POLLIN, 0}};
    int ready = poll(p, 2, waitMs);
    if (ready > 0 && p[0].revents) return Ended::Exited;
    if (ready < 0 && errno != EINTR) return Ended::Exited;  // waitpid reports what happened
    if (auto used = cgroups.cpuUsedMs(); used && *used >= cgroups.cpuLimitMs()) return Ended::CpuTime;
  }
}

void auditSetup(AuditLog& audit, const CompiledTask& task, const std::vector<PlannedMount>& mounts,
                LimitReport& limits) {
  if (!audit.enabled()) return;
  for (const auto& m : mounts)
    audit.event("mount", {{"type", m.type}, {"source", m.source}, {"target", m.target}, {"readOnly", m.readOnly}});
  // The payload applied every rlimit, or it would have reported a failure instead of running.
  for (const auto& r : plannedRlimits(task.plan.task.limits))
    limits.applied.push_back(fmt::format("rlimit {} {}", r.name, r.value));
  audit.event("limits", {{"applied", limits.applied}, {"notApplied", limits.notApplied}});
}

// The task's filter as the payload would have loaded it without supervision: what the supervisor
// answers with.
std::vector<sock_filter> filterAsLoaded(const CompiledTask& task, const SupervisionHandoff& handoff) {
  return guardedFilter(task.filter, handoff.memfdGuarded, handoff.setIdGuarded);
}

// The run's status once the payload ended (`code`, 128 + N for a signal), the supervisor stopped:
// its SIGKILL for a kill rule stood for the kernel's seccomp kill, and the run says so as one
// would (128 + SIGSYS); a SIGSYS it did not cause (a trap rule) is told, unnamed.
int supervisedExit(int code, SyscallSupervisor* supervisor, AuditLog& audit) {
  if (supervisor) {
    supervisor->stop();
    if (supervisor->killedTask() && code == kSignalBase + SIGKILL) code = kSignalBase + SIGSYS;
  }
  if (code != kSignalBase + SIGSYS) return code;
  audit.event("seccomp-kill", {{"signal", "SIGSYS"}});
  if (!supervisor || !supervisor->killedTask())  // else the supervisor named the call already
    fmt::print(stderr, "sbx-run: the command died of SIGSYS: a system call its filter kills or traps ({})\n",
               supervisor ? "a trap rule, or a SIGSYS sent to it" : "not named: the filter ran without a supervisor");
  return code;
}

// The injected secrets' values (a `source file` secret's host file), the inspector started with
// them, and its CA bundle bound over the sandbox's.
bool startInspector(const CompiledTask& task, const RunOptions& options, const Broker& broker,
                    InspectorProcess& inspector, std::vector<PlannedMount>& mounts, std::string& error) {
  std::map<std::string, std::string> secrets;
  for (const auto& s : task.plan.task.secrets) {
    if (!s.injection) continue;
    if (!s.source.starts_with("/")) {  // minted by the broker (injected_tokens.h)
      auto minted = std::find_if(broker.issued().begin(), broker.issued().end(), [&](const IssuedToken& t) {
        return t.secret == s.name && t.exposureKind == plan::nameOf(plan::ExposureKind::Inject);
      });
      if (minted == broker.issued().end()) {
        error = fmt::format("secret `{}` is injected, but the broker minted no token for it", s.name);
        return false;
      }
      secrets[s.name] = minted->token;
      continue;
    }
    auto value = readHostSecret(s.source, error);
    if (!value) return false;
    while (!value->empty() && (value->back() == '\n' || value->back() == '\r')) value->pop_back();
    if (value->find_first_of("\r\n", 0) != std::string::npos || value->find('\0') != std::string::npos) {
      error = fmt::format("secret `{}` ({}): a header value cannot hold a line break or NUL", s.name, s.source);
      return false;
    }
    secrets[s.name] = std::move(*value);
  }
  if (!inspector.start(task.plan, task.dir + "/plan.json", options.stateDir, options.upstreamCa, secrets, options.runId,
                       error))
    return false;
  mounts.push_back(inspector.bundleMount());
  return true;
}

}  // namespace

int runSandboxed(const CompiledTask& task, const RunOptions& options, AuditLog& audit) {
  std::vector<PlannedMount> mounts;
  std::string error;
  // From here on SIGTERM, SIGINT and SIGHUP end the run through its clean-up (stop_signals.h).
  if (!installStopSignals()) {
    fmt::print(stderr, "sbx-run: pipe: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }
  if (!prepareMounts(task.plan, options.workspace, mounts, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  // Everything the launcher needs while init shares its memory is made here, before init exists.
  Identity id = payloadIdentity(options.workspace);
  if (workspaceNeedsIdmap(options.workspace, id) && !idmapWorkspace(mounts, id, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  audit.event("start", {{"task", task.plan.task.name},
                        {"tier", task.plan.tier},
                        {"planDigest", task.planDigest},
                        {"command", options.command},
                        {"uid", id.uid},
                        {"gid", id.gid}});
  // A run that enforces neither its syscall rules nor its egress says so before anything it did.
  if (options.learner) audit.event("learning", {{"enforced", false}});
  std::optional<ToolGates> gates;  // only a task with tool tokens pays for them
  if (planHasToolTokens(task.plan) && !planToolGates(task.plan, task.filter, gates.emplace(), error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  Broker broker(audit);                 // revokes the tokens when the run ends, after everything declared later
  std::optional<plan::Plan> injecting;  // the plan with the tokens only the inspector gets
  if (plansMintedInjection(task.plan)) injecting = withInjectedTokens(task.plan);
  if (!broker.issue(injecting ? *injecting : task.plan, options.runId, options.stateDir, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  for (auto& m : broker.secretMounts(id.uid, id.gid)) mounts.push_back(std::move(m));
  if (gates) {
    attachTokens(*gates, broker);
    mounts.push_back(toolGateMount(*gates));
  }
  // Only a plan with request rules or injected secrets starts the inspecting proxy (and TLS code).
  std::optional<InspectorProcess> inspector;
  if (planNeedsInspector(task.plan) &&
      !startInspector(task, options, broker, inspector.emplace(audit), mounts, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  IdMaps maps = idMapsFor(id);
  LimitReport limits;
  Cgroups cgroups;
  cgroups.create(task.plan.task.limits, limits);
  const auto& tools = task.plan.task.tools;
  EgressRules egressRules = EgressRules::fromPlan(task.plan.egress, gates ? toolsWithCopies(tools, *gates) : tools);
  EgressRules udpRules = EgressRules::fromPlan(task.plan.egress, gates ? toolsWithCopies(tools, *gates) : tools, "udp");
  SetupReport report;
  SupervisionHandoff handoff;  // written by the payload, in memory it shares with this process
  // Egress by socket brokering (socket_broker.h), but while learning, when nothing is enforced.
  handoff.brokerSockets = (!egressRules.empty() || !udpRules.empty()) && !options.learner;
  // Brokered sockets get names from the DNS stub (dns_stub.h), which the sandbox's resolv.conf names.
  StubResolvConf resolvConf;
  std::string resolvConfSkipped;
  if (handoff.brokerSockets && !resolvConf.prepare(options.stateDir, mounts, resolvConfSkipped, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  ChildStack stack;
  int sync[2], errors[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0 || pipe2(errors, O_CLOEXEC) != 0) {
    fmt::print(stderr, "sbx-run: pipe: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }

  std::vector<std::string> extraEnvironment = broker.environment();
  if (inspector)
    for (auto& e : inspector->environment()) extraEnvironment.push_back(std::move(e));
  // Learning, the proxy runs even for a task with no destination: it learns the first ones.
  bool egressProxy = !egressRules.empty() || options.learner;
  if (egressProxy)
    for (auto& e : proxyEnvironment()) extraEnvironment.push_back(std::move(e));
  InitArgs args{&task,
                &options,
                &mounts,
                &id,
                sync[0],
                errors[1],
                egressProxy,
                handoff.brokerSockets,
                &extraEnvironment,
                gates ? &*gates : nullptr,
                &handoff};
  if (int signal = stopSignal()) {  // before the sandbox exists: nothing to forward to
    audit.event("exit", {{"signal", signal}});
    return kSignalBase + signal;
  }
  std::uint64_t timeoutMs = task.plan.task.timeoutMs.value_or(0);
  pid_t child = startInit(args, kNamespaces, stack);
  if (child < 0) {
    fmt::print(stderr, "sbx-run: cannot create the sandbox's namespaces: {}\n", std::strerror(errno));
    return kLauncherFailure;
  }
  // Until the error pipe closes: system calls on prepared buffers, no allocation (init.h).
  // The task's timeout bounds the set-up too: a FIFO or a slow mount there must not hang the run.
  Deadline deadline =
      timeoutMs ? std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs) : Deadline::max();
  ::close(sync[0]);
  ::close(errors[1]);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  bool mapped = writeIdMaps(child, maps);
  int mapError = errno;
  cgroups.join(child);
  bool released = mapped && send(sync[1], "g", 1, MSG_NOSIGNAL) == 1;
  Wait setup = Wait::Ready;
  int proxyListener = -1, toolListener = -1;
  if (released && args.egressProxy && (setup = waitReadable(sync[1], deadline)) == Wait::Ready)
    proxyListener = receiveDescriptor(sync[1]);
  int dnsSockets[2] = {-1, -1};  // UDP, TCP
  for (int& fd : dnsSockets)
    if (released && args.dnsStub && setup == Wait::Ready && (setup = waitReadable(sync[1], deadline)) == Wait::Ready)
      fd = receiveDescriptor(sync[1]);
  if (released && gates && setup == Wait::Ready && (setup = waitReadable(sync[1], deadline)) == Wait::Ready)
    toolListener = receiveDescriptor(sync[1]);
  if (released && setup == Wait::Ready) setup = readReport(errors[0], report, deadline);
  int syscallListener = -1;  // sent by init before the error pipe closed, when the payload exec'd supervised
  if (released && setup == Wait::Ready && report.size == 0 && waitReadable(sync[1], deadline) == Wait::Ready)
    syscallListener = receiveDescriptor(sync[1]);
  if (setup != Wait::Ready) killInitDuringSetup(child);
  ::close(sync[1]);  // without the byte, init exits
  ::close(errors[0]);
  // From here on init allocates nothing (or is gone): this process's memory is its own again.

  // Served from here on, or closed when the run ends first.
  ResolvedNames resolvedNames;  // outlives the stub and the socket broker, which read it
  std::optional<DnsStub> dnsStub;
  if (dnsSockets[0] >= 0 && dnsSockets[1] >= 0)
    dnsStub.emplace(dnsSockets[0], dnsSockets[1], egressRules, udpRules, resolvedNames, audit,
                    task.plan.task.qualifiedName.empty() ? task.plan.task.name : task.plan.task.qualifiedName);
  else
    for (int fd : dnsSockets)
      if (fd >= 0) ::close(fd);
  if (setup != Wait::Ready) {
    if (proxyListener >= 0) ::close(proxyListener);
    if (toolListener >= 0) ::close(toolListener);
    if (setup == Wait::Expired) {
      audit.event("timeout", {{"timeoutMs", timeoutMs}, {"during", "set-up"}});
      audit.event("exit", {{"status", kTimeout}});
      fmt::print(stderr, "sbx-run: the task's timeout of {} ms expired during the sandbox's set-up; it was killed\n",
                 timeoutMs);
      return kTimeout;
    }
    audit.event("signal", {{"signal", stopSignal()}, {"forwarded", false}});
    audit.event("exit", {{"signal", stopSignal()}});
    fmt::print(stderr, "sbx-run: signal {} during the sandbox's set-up; it was killed\n", stopSignal());
    return kSignalBase + stopSignal();
  }
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
  std::optional<SocketBroker> socketBroker;  // stopped by the supervisor, before its listener closes
  if (syscallListener >= 0 && handoff.socketsBrokered) {
    socketBroker.emplace(egressRules, std::move(udpRules), audit,
                         task.plan.task.qualifiedName.empty() ? task.plan.task.name : task.plan.task.qualifiedName,
                         id.uid, id.gid);
    if (inspector)
      socketBroker->keepForInspection(inspector->inspected(),
                                      [&inspector](const std::string& tool, const std::string& host, std::uint16_t port,
                                                   int inspectorEnd, int upstream) {
                                        return inspector->handOverTransparent(tool, host, port, inspectorEnd, upstream);
                                      });
    audit.event("egress-brokering", {{"calls", {"connect", "bind", "sendto"}}});
  }
  if (dnsStub) {
    if (socketBroker) socketBroker->judgeNamesBy(&resolvedNames);
    dnsStub->start();
    nlohmann::ordered_json line{{"listen", fmt::format("{}:{}", kDnsStubAddress, kDnsPort)}};
    if (!resolvConfSkipped.empty()) line["resolvConfNotPlaced"] = resolvConfSkipped;
    audit.event("dns-stub", std::move(line));
  }
  std::optional<SyscallSupervisor> supervisor;
  if (syscallListener >= 0)
    supervisor
        .emplace(syscallListener, task, filterAsLoaded(task, handoff), audit, options.learner,
                 socketBroker ? &*socketBroker : nullptr)
        .start();
  else if (options.learner)
    fmt::print(stderr,
               "sbx-run: --learn: no system call is learned: the filter denies a call the command needs to start "
               "(execve, close, write or exit_group), or this kernel has no seccomp user notification\n");
  std::optional<ToolBroker> toolBroker;
  if (toolListener >= 0) toolBroker.emplace(toolListener, *gates, audit).start();
  std::optional<EgressProxy> proxy;
  if (proxyListener >= 0) {
    proxy.emplace(proxyListener, std::move(egressRules), audit, child, task.plan.task.limits,
                  task.plan.task.qualifiedName.empty() ? task.plan.task.name : task.plan.task.qualifiedName,
                  options.learner, inspector ? &*inspector : nullptr);
    proxy->start();
    audit.event("egress-proxy", {{"listen", fmt::format("{}:{}", kProxyAddress, kProxyPort)}});
  }

  Ended ended = waitForInit(child, pidfd, deadline, cgroups, audit);
  if (ended != Ended::Exited) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    if (proxy) proxy->stop();
    if (ended == Ended::Timeout) {
      audit.event("timeout", {{"timeoutMs", timeoutMs}});
      audit.event("exit", {{"status", kTimeout}});
      fmt::print(stderr, "sbx-run: the task's timeout of {} ms expired; the sandbox was killed\n", timeoutMs);
      return kTimeout;
    }
    audit.event("cpu-limit", {{"cpuMs", cgroups.cpuLimitMs()}});
    audit.event("exit", {{"signal", SIGXCPU}});
    fmt::print(stderr, "sbx-run: the task used its CPU time of {} ms; the sandbox was killed\n", cgroups.cpuLimitMs());
    return kSignalBase + SIGXCPU;
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (proxy) proxy->stop();
  int code = supervisedExit(WIFEXITED(status) ? WEXITSTATUS(status) : kSignalBase + WTERMSIG(status),
                            supervisor ? &*supervisor : nullptr, audit);
  if (code > kSignalBase)
    audit.event("exit", {{"signal", code - kSignalBase}});
  else
    audit.event("exit", {{"status", code}});
  return code;
}

}  // namespace sbx::run
