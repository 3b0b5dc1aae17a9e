// OCI runtime bundle (runc, crun): config.json, with the mount plan on a read-only empty root, new
// PID, network, IPC, UTS, mount, cgroup and user namespaces, the payload's user (never root) with
// every capability set empty and no_new_privs, rlimits and cgroup limits, masked and read-only
// /proc paths, and the task's seccomp filter; and run.sh, which runs the bundle with a command,
// the workspace and the wall-clock timeout that config.json cannot carry.
//
// The payload's user and the id maps depend on who runs the bundle and on the workspace's owner,
// as they do for sbx-run: config.json holds 65534 (nobody) and run.sh writes the real ids, with
// the command and the pass-through environment, into a private copy of the bundle.
#include <fmt/format.h>

#include "exporters/runtime_losses.h"
#include "exporters/seccomp_profile.h"
#include "exporters/shell_script.h"
#include "exporters/targets.h"
#include "plan/mount_order.h"
#include "plan/plan_json.h"
#include "util/rlimits.h"

namespace sbx::exporters {

namespace {

using json = nlohmann::ordered_json;

constexpr int kNobody = 65534;

// /proc paths no task needs, masked or read-only: the runtime spec's and runc's defaults.
constexpr const char* kMaskedProcPaths[] = {
    "/proc/acpi",        "/proc/asound", "/proc/interrupts", "/proc/kcore",       "/proc/keys",   "/proc/latency_stats",
    "/proc/sched_debug", "/proc/scsi",   "/proc/timer_list", "/proc/timer_stats", "/sys/firmware"};
constexpr const char* kReadOnlyProcPaths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

// The keys run.sh rewrites: config.json writes their values on one line each (see render()).
constexpr const char* kRunTimeKeys[] = {"args", "env", "user", "uidMappings", "gidMappings"};

json idMaps(int id) {
  return json::array(
      {{{"containerID", 0}, {"hostID", 0}, {"size", 1}}, {{"containerID", id}, {"hostID", id}, {"size", 1}}});
}

json mountOptions(const plan::Mount& m) {
  json options = json::array({"rbind", m.readOnly ? "ro" : "rw"});
  if (m.nosuid) options.push_back("nosuid");
  if (m.nodev) options.push_back("nodev");
  if (m.noexec) options.push_back("noexec");
  return options;
}

json mounts(const plan::Plan& plan) {
  json out = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}, {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "noexec", "strictatime", "mode=755", "size=1048576"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}}},
  });
  // Parents first, whatever the plan's order: runtimes mount in list order, and a child mounted
  // before its parent would be hidden beneath it (plan/mount_order.h).
  std::vector<plan::Mount> ordered = plan.mounts;
  plan::sortParentFirst(ordered);
  for (const auto& m : ordered) {
    plan::MountType type = m.type;
    if (type == plan::MountType::Bind || type == plan::MountType::Device)
      out.push_back({{"destination", m.target}, {"type", "bind"}, {"source", m.source}, {"options", mountOptions(m)}});
    else if (type == plan::MountType::Workspace)  // relative to the bundle: run.sh links it to the host directory
      out.push_back(
          {{"destination", m.target},
           {"type", "bind"},
           {"source", insideWorkspace(m).empty() ? std::string("workspace") : "workspace/" + insideWorkspace(m)},
           {"options", mountOptions(m)}});
    else if (type == plan::MountType::Tmpfs)
      out.push_back(
          {{"destination", m.target},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "nodev", "noexec", "mode=1777", fmt::format("size={}", m.sizeBytes.value_or(0))}}});
  }
  return out;
}

// The memory limit is the cgroup's (linux.resources) alone: runtimes set rlimits in their own init
// before it execs the payload, and runc's init (Go) cannot start under a 256 MiB RLIMIT_AS.
json rlimits(const plan::Limits& limits) {
  json out = json::array({{{"type", "RLIMIT_CORE"}, {"hard", 0}, {"soft", 0}}});
  for (const auto& row : kRlimitRows)
    if (auto planned = plan::limitNamed(limits, row.planKey); planned && row.resource != RLIMIT_AS) {
      std::string name = row.name;
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::uint64_t value = rlimitValue(row, *planned);
      out.push_back({{"type", "RLIMIT_" + name}, {"hard", value}, {"soft", value}});
    }
  return out;
}

// The variables the policy gives a value, as NAME=value; pass-through ones are run.sh's to add.
json declaredEnvironment(const plan::TaskDescription& task) {
  json env = json::array();
  for (const auto& e : task.env)
    if (e.value) env.push_back(e.name + "=" + *e.value);
  return env;
}

json config(const ExportInput& input, std::vector<Loss>& losses) {
  const plan::TaskDescription& task = input.plan.task;
  const plan::Limits& limits = task.limits;
  json resources = json::object();
  if (limits.memoryBytes) resources["memory"] = {{"limit", *limits.memoryBytes}};
  if (limits.pids) resources["pids"] = {{"limit", *limits.pids}};
  json masked = json::array();
  for (const char* p : kMaskedProcPaths) masked.push_back(p);
  for (const auto& m : input.plan.mounts)
    if (m.type == plan::MountType::Mask) masked.push_back(m.target);
  json readOnly = json::array();
  for (const char* p : kReadOnlyProcPaths) readOnly.push_back(p);
  json noCapabilities = json::array();
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", kNobody}, {"gid", kNobody}}},
        {"args", {"/bin/sh"}},
        {"env", declaredEnvironment(task)},
        {"cwd", hasWorkspace(input) ? kWorkspaceMountPoint : "/"},
        {"capabilities",
         {{"bounding", noCapabilities},
          {"effective", noCapabilities},
          {"inheritable", noCapabilities},
          {"permitted", noCapabilities},
          {"ambient", noCapabilities}}},
        {"rlimits", rlimits(limits)},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "sbx"},
      {"mounts", mounts(input.plan)},
      {"linux",
       {{"namespaces", json::array({{{"type", "pid"}},
                                    {{"type", "network"}},
                                    {{"type", "ipc"}},
                                    {{"type", "uts"}},
                                    {{"type", "mount"}},
                                    {{"type", "user"}},
                                    {{"type", "cgroup"}}})},
        {"uidMappings", idMaps(kNobody)},
        {"gidMappings", idMaps(kNobody)},
        {"resources", resources},
        {"maskedPaths", masked},
        {"readonlyPaths", readOnly},
        {"seccomp", runtimeSeccompProfile(input, losses)}}},
      {"annotations", {{"org.sbxc.task", input.plan.task.name}, {"org.sbxc.tier", std::to_string(input.plan.tier)}}},
  };
}

// config.json, indented, with the values run.sh rewrites each on one line.
std::string render(json config) {
  std::vector<std::pair<std::string, std::string>> oneLine;
  auto mark = [&](json& object, const std::string& key) {
    std::string sentinel = "@sbxc-one-line-" + key + "@";
    oneLine.emplace_back("\"" + sentinel + "\"", object[key].dump());
    object[key] = sentinel;
  };
  for (const char* key : kRunTimeKeys) mark(config[config["process"].contains(key) ? "process" : "linux"], key);
  std::string text = config.dump(2) + "\n";
  for (const auto& [sentinel, value] : oneLine) text.replace(text.find(sentinel), sentinel.size(), value);
  return text;
}

std::string runScript(const ExportInput& input) {
  ScriptHeader header;
  header.purpose =
      "# Runs the task's OCI bundle (config.json beside this script) with runc or crun, as root: a\n"
      "# private copy of the bundle gets CMD ARGS as its process, the workspace at /workspace, the\n"
      "# payload's ids and the declared pass-through variables; the task's wall-clock timeout, which\n"
      "# config.json cannot carry, kills the container when it expires.\n";
  header.usage = "run.sh [--workspace DIR] [--audit FILE] [--runtime runc|crun] [--] CMD [ARGS...]";
  header.extraOptions =
      "    --runtime) [[ $# -ge 2 ]] || die \"--runtime needs runc or crun\"; runtime=$2; shift 2 ;;\n";
  std::string passThrough;  // taken from run.sh's own environment when set
  for (const auto& e : input.plan.task.env)
    if (!e.value)
      passThrough += fmt::format("[[ -z ${{{0}+set}} ]] || env+=${{env:+,}}$(json_string \"{0}=${0}\")\n", e.name);
  return writeScript(
      input, header, "oci-run.sh",
      {{"declared_env", shellQuote(declaredEnvironment(input.plan.task).dump())}, {"pass_through", passThrough}});
}

}  // namespace

ExportResult OciExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  out.files.emplace_back("config.json", render(config(input, out.losses)));
  out.files.emplace_back("run.sh", runScript(input), 0755);
  std::uint64_t timeout = timeoutSeconds(input);
  if (timeout)
    out.losses.push_back(
        lost(Control::WallClockTimeout, "the wall-clock timeout in config.json",
             fmt::format("OCI has no timeout: run.sh kills the container after {} s; a runner that starts "
                         "config.json itself must do the same",
                         timeout)));
  addRuntimeLosses(input, "runc or crun", out.losses);
  addPathCheckLosses(input, "runc or crun", false, out.losses);
  for (const auto& m : input.plan.mounts)
    if (m.type == plan::MountType::Device)
      out.losses.push_back(lost(Control::Device, fmt::format("the device {}", m.target),
                                "bound, but the runtime's device cgroup refuses it unless linux.resources.devices "
                                "allows its major and minor numbers"));
  out.losses.push_back(
      lost(Control::SetupAudit, "the audit of the sandbox's set-up",
           "run.sh --audit FILE records start, exit and timeout; the runtime's own steps are not audited"));
  return out;
}

}  // namespace sbx::exporters
