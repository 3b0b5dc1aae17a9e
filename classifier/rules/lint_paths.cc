// Lint of filesystem and host grants: secret-path-mounted (SBX1201), host-privilege (SBX1208),
// writable-exec (SBX1210), host-service-socket (SBX1228).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

void lintPaths(const LintContext& c, FindingSink& sink) {
  const auto& t = c.task;
  for (const auto& p : t.paths) {
    if (p.workspace) continue;
    if (auto location = secretLocationCovered(p.path))
      sink.add(RuleId::SecretPathMounted, p.origin.span,
               fmt::format("{} {} exposes host credentials ({})", model::nameOf(p.access), ticked(p.path), *location));
    auto sockets = hostSocketsReached(p.path);
    if (!sockets.runtimes.empty())
      sink.add(RuleId::HostPrivilege, p.origin.span,
               fmt::format("{} {} reaches a container runtime's or the kubelet's socket, root on the host ({})",
                           model::nameOf(p.access), ticked(p.path), fmt::join(sockets.runtimes, "; ")));
    if (!sockets.services.empty())
      sink.add(RuleId::HostServiceSocket, p.origin.span,
               fmt::format("{} {} reaches the sockets of host services outside the sandbox ({})",
                           model::nameOf(p.access), ticked(p.path), fmt::join(sockets.services, "; ")));
    bool procOrSys = pathCovers(p.path, "/proc") || pathCovers("/proc", p.path) || pathCovers(p.path, "/sys") ||
                     pathCovers("/sys", p.path);
    if (p.access == model::Access::Write && procOrSys)
      sink.add(RuleId::HostPrivilege, p.origin.span,
               fmt::format("write {} makes /proc or /sys writable", ticked(p.path)));
  }
  if (t.network && t.network->value == model::NetworkMode::Host)
    sink.add(RuleId::HostPrivilege, t.network->origin.span,
             "`network host` shares the host's network namespace: no egress allowlist can apply");
  for (const auto& d : t.devices)
    sink.add(RuleId::HostPrivilege, d.origin.span,
             fmt::format("device {} gives direct access to host hardware", ticked(d.path)));
  for (const auto& cap : t.capabilities)
    sink.add(RuleId::HostPrivilege, cap.origin.span, fmt::format("capability {} is added to the task", cap.name));

  for (const auto& exec : t.paths) {
    if (exec.access != model::Access::Exec) continue;
    for (const auto& write : t.paths) {
      if (write.access != model::Access::Write) continue;
      if (!pathCovers(write.path, exec.path) && !pathCovers(exec.path, write.path)) continue;
      sink.add(RuleId::WritableExec, exec.origin.span,
               fmt::format("{} is executable and writable: code written there can be run", model::describePath(exec)))
          .label(write.origin.span, "made writable here");
      break;
    }
  }
}

}  // namespace sbx::classifier
