#include "runtime/dry_run.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "bpf/bpf_interpreter.h"
#include "bpf/native_arch.h"
#include "plan/mount_order.h"
#include "plan/plan_json.h"
#include "runtime/exit_codes.h"
#include "runtime/limits.h"
#include "runtime/mount_tree.h"
#include "runtime/mounts.h"
#include "runtime/proxy.h"
#include "runtime/safe_path.h"
#include "runtime/tool_gates.h"
#include "runtime/workspace_idmap.h"

namespace sbx::run {

namespace {

using seccomp::kNativeArch;
using seccomp::kNativeArchName;
constexpr std::uint32_t kHighestSyscall = 512;  // above every number either architecture uses

std::string describe(const PlannedMount& m) {
  std::vector<std::string> parts;
  if (m.type == "bind" || m.type == "device")
    parts.push_back(fmt::format("{} of {}", m.type, m.source));
  else if (m.type == "workspace")
    parts.push_back(fmt::format("workspace {}", m.source));
  else if (m.type == "symlink")
    parts.push_back(fmt::format("symlink to {}", m.linkTarget));
  else if (m.type == "tmpfs")
    parts.push_back(m.sizeBytes ? fmt::format("tmpfs of {} KiB", m.sizeBytes >> 10) : "tmpfs");
  else
    parts.push_back(m.type == "mask" && !m.source.empty() ? "mask (covered with " + m.source + ")" : m.type);
  if (m.type != "symlink" && m.type != "mask" && !m.type.ends_with("(cannot be made)")) {
    parts.push_back(m.readOnly ? "read-only" : "writable");
    if (m.noexec) parts.push_back("noexec");
    if (m.nosuid) parts.push_back("nosuid");
    if (m.nodev && m.type != "device") parts.push_back("nodev");
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Each mount checked alone, so that every missing or unsafe host path is named; then, in the
// order sbx-run places them (mount_tree.h), every mount point that would have to be made inside
// the bind of a host directory, which sbx-run refuses.
std::vector<PlannedMount> checkMounts(const plan::Plan& plan, const std::string& workspace,
                                      std::vector<std::string>& problems) {
  std::vector<PlannedMount> planned;
  for (const auto& mount : plan.mounts) {
    plan::Plan one;
    one.mounts = {mount};
    std::vector<PlannedMount> out;
    std::string error;
    if (prepareMounts(one, workspace, out, error)) {
      for (auto& m : out) planned.push_back(std::move(m));
    } else {
      problems.push_back(error);
      PlannedMount shown;
      shown.type = fmt::format("{} (cannot be made)", plan::nameOf(mount.type));
      shown.target = mount.target;
      shown.source = mount.source;
      planned.push_back(std::move(shown));
    }
  }
  std::vector<PlannedMount> ordered;
  auto order = placementOrder(planned);
  for (std::size_t position = 0; position < order.size(); ++position) {
    const PlannedMount& m = planned[order[position]];
    const PlannedMount* cover = coveringMount(planned, order, position);
    std::string hostBind = hostBindHolding(cover);
    if (!hostBind.empty() && !cover->source.empty() && m.type != "mask") {
      std::string shownAt = cover->source + m.target.substr(cover->target == "/" ? 0 : cover->target.size());
      struct stat st {};
      if (lstat(shownAt.c_str(), &st) != 0) problems.push_back(missingInHostBind(m.target, m.target, hostBind));
    }
    ordered.push_back(m);
  }
  return ordered;
}

void printMounts(const std::vector<PlannedMount>& mounts, std::FILE* out) {
  fmt::print(out, "mounts ({}, in the order they are made; everything else of the host is absent):\n", mounts.size());
  std::vector<const std::string*> open;  // the mounts the current line lies inside
  for (const auto& m : mounts) {
    while (!open.empty() && (*open.back() == m.target || !plan::pathWithin(m.target, *open.back()))) open.pop_back();
    fmt::print(out, "  {:{}}{}  {}\n", "", 2 * open.size(), m.target, describe(m));
    open.push_back(&m.target);
  }
}

void printEgress(const plan::Plan& plan, std::FILE* out) {
  if (plan.egress.empty()) {
    fmt::print(out, "egress: none (the network namespace has loopback only)\n");
    return;
  }
  fmt::print(out, "egress (through the proxy at {}:{}):\n", kProxyAddress, kProxyPort);
  for (const auto& d : plan.egress)
    fmt::print(out, "  {} {}{}\n", d.text, d.protocol, d.tool.empty() ? "" : " (tool " + d.tool + " only)");
}

void printTokens(const plan::Plan& plan, std::FILE* out) {
  if (plan.tokens.empty()) {
    fmt::print(out, "tokens: none\n");
    return;
  }
  fmt::print(out, "tokens (minted at start, revoked at exit):\n");
  for (const auto& t : plan.tokens)
    fmt::print(out, "  {} for {}: {} {}, scopes [{}], audience {}, ttl {} s\n", t.secret,
               t.tool.empty() ? "the task" : "tool " + t.tool, plan::nameOf(t.exposure), t.exposureTarget,
               fmt::join(t.scopes, " "), t.audience.empty() ? "-" : t.audience, t.ttlMs / 1000);
}

void printLimits(const plan::Plan& plan, std::FILE* out) {
  const auto& l = plan.task.limits;
  std::vector<std::string> parts;
  if (l.memoryBytes) parts.push_back(fmt::format("memory {} MiB", *l.memoryBytes >> 20));
  if (l.pids) parts.push_back(fmt::format("pids {}", *l.pids));
  if (l.cpuMs) parts.push_back(fmt::format("cpu {} s", *l.cpuMs / 1000.0));
  if (l.openFiles) parts.push_back(fmt::format("open files {}", *l.openFiles));
  if (l.fileSizeBytes) parts.push_back(fmt::format("file size {} MiB", *l.fileSizeBytes >> 20));
  if (plan.task.timeoutMs) parts.push_back(fmt::format("timeout {} s", *plan.task.timeoutMs / 1000.0));
  fmt::print(out, "limits: {}\n", parts.empty() ? "none declared" : fmt::format("{}", fmt::join(parts, ", ")));
}

// How the filter treats each syscall number of this machine's architecture: allowed whatever
// the arguments (the kernel's own proof, bpf_interpreter.h), allowed for some of a few probed
// argument values, or refused by its default action.
void printFilter(const CompiledTask& task, std::FILE* out) {
  const auto& s = task.plan.seccomp;
  unsigned always = 0, some = 0;
  for (std::uint32_t nr = 0; nr < kHighestSyscall; ++nr) {
    if (seccomp::kernelCachesAllow(task.filter, kNativeArch, nr)) {
      ++always;
      continue;
    }
    for (std::uint64_t probe : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}}) {
      seccomp::SeccompData data;
      data.nr = nr;
      data.arch = kNativeArch;
      std::fill(std::begin(data.args), std::end(data.args), probe);
      auto run = seccomp::interpret(task.filter, data);
      if (run.ok && (run.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW) {
        ++some;
        break;
      }
    }
  }
  fmt::print(out,
             "filter: {} ({} instructions, arches {}), default action {}; on {}: {} syscalls allowed with any\n"
             "  arguments, {} more with some arguments, the rest refused (sbxc explain, seccomp.pfc)\n",
             s.file, task.filter.size(), fmt::join(s.arches, " "), s.defaultAction, kNativeArchName, always, some);
}

// Root with a workspace that is not the payload's: the launcher ID-maps it; tried here too.
void checkWorkspaceIdmap(const std::string& workspace, std::vector<std::string>& problems, std::FILE* out) {
  Identity payload = payloadIdentity(workspace);
  if (!workspaceNeedsIdmap(workspace, payload)) return;
  std::vector<PlannedMount> mounts(1);
  mounts[0].type = "workspace";
  mounts[0].source = workspace;
  std::string error;
  if (!idmapWorkspace(mounts, payload, error)) {
    problems.push_back(error);
    return;
  }
  ::close(mounts[0].tree);
  fmt::print(out, "workspace: ID-mapped, its owner's files are the payload's (uid {}) inside\n", payload.uid);
}

}  // namespace

int dryRun(const CompiledTask& task, const DryRunOptions& options, std::FILE* out) {
  const plan::Plan& plan = task.plan;
  std::vector<std::string> problems;
  fmt::print(out, "task {} (tier T{}), compiled in {}\n", plan.task.name, plan.tier, task.dir);
  printMounts(checkMounts(plan, options.workspace, problems), out);
  printEgress(plan, out);
  printTokens(plan, out);
  printLimits(plan, out);
  printFilter(task, out);
  if (!plan.tokens.empty() && options.stateDir.empty()) problems.push_back(options.stateError);
  checkWorkspaceIdmap(options.workspace, problems, out);
  for (auto& p : rlimitsAboveHardLimits(plannedRlimits(plan.task.limits))) problems.push_back(std::move(p));
  if (planHasToolTokens(plan)) {
    ToolGates gates;
    if (std::string error; !planToolGates(plan, task.filter, gates, error)) problems.push_back(error);
  }
  if (problems.empty()) {
    fmt::print(out, "ready: the task can start (nothing was started)\n");
    return 0;
  }
  fmt::print(out, "cannot start ({} problem{}):\n", problems.size(), problems.size() == 1 ? "" : "s");
  for (const auto& p : problems) fmt::print(out, "  {}\n", p);
  return kLauncherFailure;
}

}  // namespace sbx::run
