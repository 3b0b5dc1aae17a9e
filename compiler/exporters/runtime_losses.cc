#include "exporters/runtime_losses.h"

#include <fmt/format.h>

#include "exporters/request_losses.h"

namespace sbx::exporters {

void addRuntimeLosses(const ExportInput& input, std::string_view runtime, std::vector<Loss>& losses) {
  if (!input.plan.egress.empty())
    losses.push_back(
        lost(Control::DeclaredEgress, fmt::format("egress to {} allowed destination(s)", input.plan.egress.size()),
             fmt::format("{}'s network namespace has no interface and no allowlist enforcer: every "
                         "connection fails (safe, but the task cannot reach its destinations; run it under "
                         "sbx-run, or export it to k8s)",
                         runtime)));
  for (const auto& token : input.plan.tokens)
    if (token.hostFile)
      losses.push_back(
          lost(Control::HostFileSecret, fmt::format("`{}` from the host file {}", token.secret, token.source),
               fmt::format("{} copies no file into the sandbox: put it there 0400 by hand, or run the task "
                           "under sbx-run",
                           runtime)));
    else
      losses.push_back(
          lost(Control::JustInTimeToken, fmt::format("the just-in-time token `{}`", token.secret),
               fmt::format("{} mints, scopes and revokes no token: the task would run without it, or with a "
                           "long-lived secret put there by hand (run it under sbx-run)",
                           runtime)));
  addInjectionLosses(input, runtime, losses);
  addRequestRuleLosses(input, runtime, losses);
  if (!input.plan.task.capabilities.empty())
    losses.push_back(lost(Control::DeclaredCapabilities, "the declared capabilities",
                          "not granted: every capability set is empty, as under sbx-run"));
  if (input.plan.task.limits.cpuMs)
    losses.push_back(lost(Control::SandboxCpuTime, "CPU time of the whole sandbox",
                          "RLIMIT_CPU limits each process; sbx-run accounts the sandbox's cgroup as a whole"));
  losses.push_back(lost(Control::Landlock, "Landlock",
                        fmt::format("sbx-run's second fence on paths; {} does not apply it", runtime)));
}

std::string insideWorkspace(const plan::Mount& m) {
  std::string_view root = kWorkspaceMountPoint;
  if (m.type != plan::MountType::Workspace || m.target.size() <= root.size() + 1) return "";
  return m.target.substr(root.size() + 1);
}

void addPathCheckLosses(const ExportInput& input, std::string_view runtime, bool followsNoLinks,
                        std::vector<Loss>& losses) {
  for (const auto& m : input.plan.mounts) {
    if (!m.sha256.empty())
      losses.push_back(lost(Control::PinnedExecutable, fmt::format("the digest pinned to `{}`", m.target),
                            fmt::format("{} does not hash the file before it runs: a different program there would "
                                        "run (check it yourself, e.g. `echo '{}  {}' | sha256sum -c`, or run the "
                                        "task under sbx-run)",
                                        runtime, m.sha256, m.target)));
    std::string inside = insideWorkspace(m);
    if (!followsNoLinks && !inside.empty())
      losses.push_back(lost(Control::WorkspaceLinksRefused, fmt::format("`{}` inside the workspace", inside),
                            fmt::format("{} binds it by name and follows symbolic links: a link the workspace holds "
                                        "there would widen the grant to what it points to (sbx-run refuses it)",
                                        runtime)));
  }
}

}  // namespace sbx::exporters
