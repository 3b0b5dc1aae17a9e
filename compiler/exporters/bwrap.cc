// bubblewrap: run.sh, which runs `run.sh CMD ARGS...` under bwrap with every namespace unshared,
// --die-with-parent, --new-session, --cap-drop ALL, --clearenv and the declared environment, the
// mount plan (without exec where the plan says so: bwrap cannot, so a private mount namespace
// prepares those paths first), the task's compiled filter passed by descriptor (seccomp.bpf, the
// very program sbx-run loads), its rlimits through prlimit and its wall-clock timeout through
// timeout(1), with inherited descriptors closed and the payload never root.
#include <algorithm>

#include <fmt/format.h>

#include "bpf/bpf_program.h"
#include "exporters/runtime_losses.h"
#include "exporters/shell_script.h"
#include "exporters/targets.h"
#include "plan/mount_order.h"
#include "plan/plan_json.h"
#include "util/rlimits.h"

namespace sbx::exporters {

namespace {

using plan::MountType;

// Where the host holds what the sandbox will see at `target`: the last earlier mount that covers
// it, as (its host source as a shell word, the rest of the path below it). A fresh tmpfs holds
// nothing. A path no planned mount covers (/proc, which bwrap mounts itself, /sys) is the
// host's own.
std::pair<std::string, std::string> hostSide(const std::vector<plan::Mount>& mounts, std::size_t before,
                                             const std::string& target) {
  for (std::size_t i = before; i-- > 0;) {
    const plan::Mount& m = mounts[i];
    const std::string& over = m.target;
    MountType type = m.type;
    bool covers = target == over || over == "/" || target.starts_with(over + "/");
    if (!covers || type == MountType::Mask) continue;
    std::string rest = target == over ? "" : target.substr(over == "/" ? 1 : over.size() + 1);
    if (type == MountType::Workspace) {  // relative to the workspace's host directory, not the mount
      std::string inside = target.substr(std::min(target.size(), std::string_view(kWorkspaceMountPoint).size() + 1));
      return {"\"$workspace\"", shellQuote(inside)};
    }
    if (type == MountType::Bind || type == MountType::Device) return {shellQuote(m.source), shellQuote(rest)};
    return {"''", "''"};
  }
  return {shellQuote(target), "''"};
}

// One line of bash per planned mount, calling the script's mount_* functions (scripts/bwrap.sh).
std::string mountLines(const plan::Plan& plan) {
  std::string out;
  // Parents first, whatever the plan's order: bwrap mounts in argument order, and a child bound
  // before its parent would be hidden beneath it (plan/mount_order.h).
  std::vector<plan::Mount> mounts = plan.mounts;
  plan::sortParentFirst(mounts);
  for (std::size_t index = 0; index < mounts.size(); ++index) {
    const plan::Mount& m = mounts[index];
    MountType type = m.type;
    std::string target = shellQuote(m.target);
    std::string exec = m.noexec ? "no" : "yes";
    std::string option = type == MountType::Device ? "--dev-bind" : m.readOnly ? "--ro-bind" : "--bind";
    if (type == MountType::Bind || type == MountType::Device)
      out += fmt::format("mount_bind {} {} {} {}\n", option, shellQuote(m.source), target, exec);
    else if (type == MountType::Workspace && insideWorkspace(m).empty())
      out += fmt::format("mount_bind {} \"$workspace\" {} {}\n", option, target, exec);
    else if (type == MountType::Workspace)
      out +=
          fmt::format("mount_bind {} \"$workspace\"/{} {} {}\n", option, shellQuote(insideWorkspace(m)), target, exec);
    else if (type == MountType::Tmpfs)
      out += fmt::format("mount_tmpfs {} {}\n", m.sizeBytes.value_or(0), target);
    else if (type == MountType::Mask) {
      auto [source, rest] = hostSide(mounts, index, m.target);
      out += fmt::format("mount_mask {} {} {}\n", target, source, rest);
    }
  }
  return out;
}

// prlimit's options: no core dumps, and every limit the task declares that is an rlimit.
std::string limitOptions(const plan::Limits& limits) {
  std::string out = "--core=0";
  for (const auto& row : kRlimitRows)
    if (auto value = plan::limitNamed(limits, row.planKey))
      out += fmt::format(" --{}={}", row.name, rlimitValue(row, *value));
  return out;
}

std::string runScript(const ExportInput& input) {
  ScriptHeader header;
  header.purpose =
      "# Runs CMD ARGS under bubblewrap as the task allows: every namespace new, no capability, the\n"
      "# mount plan, the compiled seccomp filter (seccomp.bpf beside this script, by descriptor),\n"
      "# the declared environment alone, the task's rlimits and its wall-clock timeout. Runs as a\n"
      "# user, or as root (the payload then runs as the workspace's owner, or nobody).\n";
  header.usage = "run.sh [--workspace DIR] [--audit FILE] [--] CMD [ARGS...]";
  std::string declared, passThrough;
  for (const auto& e : input.plan.task.env) {
    const std::string& name = e.name;
    if (e.value)
      declared += fmt::format("{}--setenv {} {}", declared.empty() ? "" : " ", name, shellQuote(*e.value));
    else
      passThrough += fmt::format("[[ -z ${{{0}+set}} ]] || env+=(--setenv {0} \"${0}\")\n", name);
  }
  return writeScript(input, header, "bwrap.sh",
                     {{"mounts", mountLines(input.plan)},
                      {"declared_env", declared},
                      {"pass_through", passThrough},
                      {"cwd", hasWorkspace(input) ? kWorkspaceMountPoint : "/"},
                      {"limits", limitOptions(input.plan.task.limits)}});
}

}  // namespace

ExportResult BwrapExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  out.files.emplace_back("run.sh", runScript(input), 0755);
  out.files.emplace_back("seccomp.bpf", seccomp::toBytes(input.filter.program));
  const plan::Limits& limits = input.plan.task.limits;
  if (limits.memoryBytes)
    out.losses.push_back(
        lost(Control::CgroupLimits, "the memory limit as a cgroup",
             "bwrap has no cgroup: the limit is the address-space rlimit of each process, which counts "
             "mappings rather than resident memory"));
  if (limits.pids)
    out.losses.push_back(lost(Control::CgroupLimits, "the pids limit as a cgroup",
                              "bwrap has no cgroup: RLIMIT_NPROC limits the processes of the payload's user"));
  addRuntimeLosses(input, "bwrap", out.losses);
  addPathCheckLosses(input, "bwrap", false, out.losses);
  out.losses.push_back(lost(Control::SetupAudit, "the audit of the sandbox's set-up",
                            "run.sh --audit FILE records start, exit and timeout; bwrap's own steps are not audited"));
  return out;
}

}  // namespace sbx::exporters
