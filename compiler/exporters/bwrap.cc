// bubblewrap: run.sh, which runs `run.sh CMD ARGS...` under bwrap with every namespace unshared,
// --die-with-parent, --new-session, --cap-drop ALL, --clearenv and the declared environment, the
// mount plan (without exec where the plan says so: bwrap cannot, so a private mount namespace
// prepares those paths first), the task's compiled filter passed by descriptor (seccomp.bpf, the
// very program sbx-run loads), its rlimits through prlimit and its wall-clock timeout through
// timeout(1), with inherited descriptors closed and the payload never root.
#include <fmt/format.h>

#include "bpf/bpf_program.h"
#include "exporters/runtime_losses.h"
#include "exporters/shell_script.h"
#include "exporters/targets.h"
#include "util/rlimits.h"

namespace sbx::exporters {

namespace {

using json = nlohmann::ordered_json;

// Where the host holds what the sandbox will see at `target`: the last earlier mount that covers
// it, as (its host source as a shell word, the rest of the path below it). A fresh tmpfs holds
// nothing. A path no planned mount covers (/proc, which bwrap mounts itself, /sys) is the
// host's own.
std::pair<std::string, std::string> hostSide(const json& mounts, std::size_t before, const std::string& target) {
  for (std::size_t i = before; i-- > 0;) {
    const json& m = mounts[i];
    std::string over = m.value("target", ""), type = m.value("type", "");
    bool covers = target == over || over == "/" || target.starts_with(over + "/");
    if (!covers || type == "mask") continue;
    std::string rest = target == over ? "" : target.substr(over == "/" ? 1 : over.size() + 1);
    if (type == "workspace") return {"\"$workspace\"", shellQuote(rest)};
    if (type == "bind" || type == "device") return {shellQuote(m.value("source", "")), shellQuote(rest)};
    return {"''", "''"};
  }
  return {shellQuote(target), "''"};
}

// One line of bash per planned mount, calling the script's mount_* functions (scripts/bwrap.sh).
std::string mountLines(const json& plan) {
  std::string out;
  const json& mounts = plan["mounts"];
  for (std::size_t index = 0; index < mounts.size(); ++index) {
    const json& m = mounts[index];
    std::string type = m.value("type", ""), target = shellQuote(m.value("target", ""));
    std::string exec = m.value("noexec", false) ? "no" : "yes";
    std::string option = type == "device" ? "--dev-bind" : m.value("readOnly", true) ? "--ro-bind" : "--bind";
    if (type == "bind" || type == "device")
      out += fmt::format("mount_bind {} {} {} {}\n", option, shellQuote(m.value("source", "")), target, exec);
    else if (type == "workspace")
      out += fmt::format("mount_bind {} \"$workspace\" {} {}\n", option, target, exec);
    else if (type == "tmpfs")
      out += fmt::format("mount_tmpfs {} {}\n", m.value("sizeBytes", std::uint64_t{0}), target);
    else if (type == "mask") {
      auto [source, rest] = hostSide(mounts, index, m.value("target", ""));
      out += fmt::format("mount_mask {} {} {}\n", target, source, rest);
    }
  }
  return out;
}

// prlimit's options: no core dumps, and every limit the task declares that is an rlimit.
std::string limitOptions(const json& limits) {
  std::string out = "--core=0";
  for (const auto& row : kRlimitRows)
    if (limits.contains(row.planKey))
      out += fmt::format(" --{}={}", row.name, rlimitValue(row, limits[row.planKey].get<std::uint64_t>()));
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
  for (const auto& e : input.plan["task"]["env"]) {
    std::string name = e["name"];
    if (e.contains("value"))
      declared +=
          fmt::format("{}--setenv {} {}", declared.empty() ? "" : " ", name, shellQuote(e["value"].get<std::string>()));
    else
      passThrough += fmt::format("[[ -z ${{{0}+set}} ]] || env+=(--setenv {0} \"${0}\")\n", name);
  }
  return writeScript(input, header, "bwrap.sh",
                     {{"mounts", mountLines(input.plan)},
                      {"declared_env", declared},
                      {"pass_through", passThrough},
                      {"cwd", hasWorkspace(input) ? "/workspace" : "/"},
                      {"limits", limitOptions(input.plan["task"].value("limits", json::object()))}});
}

}  // namespace

ExportResult BwrapExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  out.files.emplace_back("run.sh", runScript(input), 0755);
  out.files.emplace_back("seccomp.bpf", seccomp::toBytes(input.filter.program));
  const json limits = input.plan["task"].value("limits", json::object());
  if (limits.contains("memoryBytes"))
    out.losses.push_back(
        lost(Control::CgroupLimits, "the memory limit as a cgroup",
             "bwrap has no cgroup: the limit is the address-space rlimit of each process, which counts "
             "mappings rather than resident memory"));
  if (limits.contains("pids"))
    out.losses.push_back(lost(Control::CgroupLimits, "the pids limit as a cgroup",
                              "bwrap has no cgroup: RLIMIT_NPROC limits the processes of the payload's user"));
  addRuntimeLosses(input, "bwrap", out.losses);
  out.losses.push_back(lost(Control::SetupAudit, "the audit of the sandbox's set-up",
                            "run.sh --audit FILE records start, exit and timeout; bwrap's own steps are not audited"));
  return out;
}

}  // namespace sbx::exporters
