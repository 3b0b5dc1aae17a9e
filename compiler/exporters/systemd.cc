// systemd: the task as a service unit that systemd sandboxes itself. A dynamic user with no
// capabilities and no new privileges; the host's files read-only (ProtectSystem=strict), writable
// only where declared, executable only where the mount plan allows it (NoExecPaths=/ with
// ExecPaths=), masks and the known secret locations inaccessible; private /tmp, devices, IPC and
// users; the kernel's tunables, modules, logs, clock and hostname protected; no namespaces; the
// seccomp filter by name (systemd_syscalls.h); no network, or IPAddressDeny=any with the declared
// addresses allowed; cgroup and rlimit limits; RuntimeMaxSec= from the timeout; the declared
// environment only; secrets as credentials (LoadCredential=) the runner mints.
//
// A task has no fixed command (sbx-run takes it on its command line), so the unit has no
// ExecStart=: a drop-in gives it (README.txt). A task with a workspace is a template unit whose
// instance names the workspace, a state directory of the unit bound at /workspace.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "exporters/networks.h"
#include "exporters/request_losses.h"
#include "exporters/runtime_losses.h"
#include "exporters/seccomp_profile.h"
#include "exporters/systemd_syscalls.h"
#include "exporters/targets.h"
#include "plan/plan_json.h"
#include "util/rlimits.h"
#include "version.h"

namespace sbx::exporters {

namespace {

using Json = nlohmann::ordered_json;

// Host paths that hold credentials (tables/secret_locations.def, the absolute ones).
constexpr const char* kSecretLocations[] = {
#define SBX_SECRET_PATH(kind, pattern, what, holds) SBX_SECRET_PATH_##kind(pattern)
#define SBX_SECRET_PATH_Absolute(pattern) pattern,
#define SBX_SECRET_PATH_Component(pattern)
#define SBX_SECRET_PATH_Suffix(pattern)
#define SBX_SECRET_PATH_HomeRoot(pattern)
#include "tables/secret_locations.def"
#undef SBX_SECRET_PATH
#undef SBX_SECRET_PATH_Absolute
#undef SBX_SECRET_PATH_Component
#undef SBX_SECRET_PATH_Suffix
#undef SBX_SECRET_PATH_HomeRoot
};

// Where ProtectHome= hides home directories.
constexpr const char* kHomeRoots[] = {"/home", "/root", "/run/user"};

bool under(const std::string& path, const std::string& directory) {
  return path == directory || directory == "/" || path.starts_with(directory + "/");
}

bool underHome(const std::string& path) {
  return std::any_of(std::begin(kHomeRoots), std::end(kHomeRoots), [&](const char* h) { return under(path, h); });
}

// A word of a unit file: '%' escaped (specifiers), quoted when it has blanks, quotes or backslashes.
std::string unitWord(const std::string& text) {
  std::string escaped;
  bool quote = false;
  for (char c : text) {
    if (c == '%')
      escaped += "%%";
    else if (c == '"' || c == '\\')
      escaped += std::string("\\") + c;
    else
      escaped += c;
    quote |= c == ' ' || c == '\t' || c == '"' || c == '\\' || c == '\'';
  }
  return quote ? "\"" + escaped + "\"" : escaped;
}

// Description= takes the rest of the line as it is: only specifiers and line breaks need care.
std::string descriptionText(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%')
      out += "%%";
    else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)
      out += c;
    else
      out += ' ';
  }
  return out;
}

// A path in BindPaths=, where ':' separates source and destination.
std::string bindWord(const std::string& path) {
  std::string out;
  for (char c : path) out += c == ':' ? std::string("\\:") : std::string(1, c);
  return unitWord(out);
}

std::string parentOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string joined(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

// A directive whose value is a list; none when the list is empty.
void listDirective(std::vector<std::string>& lines, const std::string& name, const std::vector<std::string>& words) {
  if (!words.empty()) lines.push_back(name + "=" + joined(words, " "));
}

struct Unit {
  std::string fileName;  // "sbx-task.service" or "sbx-task@.service"
  std::vector<std::string> lines;
  void section(const std::string& comment) { lines.push_back("\n# " + comment); }
  void add(const std::string& line) { lines.push_back(line); }
};

void addFiles(const ExportInput& input, const std::vector<std::string>& tokenDirectories, Unit& unit,
              std::vector<Loss>& losses) {
  std::vector<std::string> readOnly, readWrite, bindReadOnly, bindWritable, execPaths, inaccessible, temporary;
  std::vector<std::string> scratchOnPrivateTmp, devices, grants;
  bool homeGrant = false;
  for (const auto& m : input.plan.mounts) {
    using plan::MountType;
    MountType type = m.type;
    const std::string& target = m.target;
    bool writable = !m.readOnly, exec = !m.noexec;
    if (type == MountType::Bind || type == MountType::Workspace) grants.push_back(target);
    if ((type == MountType::Bind || type == MountType::Workspace) && exec) execPaths.push_back("-" + unitWord(target));
    if (type == MountType::Bind) {
      bool home = underHome(target);
      homeGrant |= home;
      auto& list = home ? (writable ? bindWritable : bindReadOnly) : (writable ? readWrite : readOnly);
      list.push_back("-" + (home ? bindWord(target) : unitWord(target)));
    } else if (type == MountType::Tmpfs && (target == "/tmp" || target == "/var/tmp")) {
      scratchOnPrivateTmp.push_back(target);
    } else if (type == MountType::Tmpfs) {
      temporary.push_back(
          unitWord(fmt::format("{}:size={},mode=1777,nosuid,nodev,noexec", target, m.sizeBytes.value_or(0))));
    } else if (type == MountType::Mask) {
      inaccessible.push_back("-" + unitWord(target));
    } else if (type == MountType::Device) {
      devices.push_back(target);
    }
  }
  // The host's credential stores, unless the task reaches into one itself (a lint finding) or a
  // token directory of its own takes the place (TemporaryFileSystem= hides the host's).
  for (const char* location : kSecretLocations) {
    // /var/run is /run on every current distribution: compare the paths systemd will resolve.
    std::string l = std::string_view(location).starts_with("/var/run/") ? location + 4 : location;
    bool claimed =
        underHome(l) ||
        std::any_of(grants.begin(), grants.end(), [&](const std::string& g) { return under(g, l) || under(l, g); }) ||
        std::any_of(tokenDirectories.begin(), tokenDirectories.end(),
                    [&](const std::string& d) { return under(d, l) || under(l, d); });
    if (!claimed) inaccessible.push_back("-" + unitWord(location));
  }

  unit.section("Files: the host read-only, writable and executable only where the task says; no home directories.");
  unit.add("ProtectSystem=strict");
  unit.add(homeGrant ? "ProtectHome=tmpfs" : "ProtectHome=yes");
  unit.add("PrivateTmp=yes");
  unit.add("PrivateDevices=yes");
  listDirective(unit.lines, "ReadOnlyPaths", readOnly);
  listDirective(unit.lines, "ReadWritePaths", readWrite);
  listDirective(unit.lines, "BindReadOnlyPaths", bindReadOnly);
  listDirective(unit.lines, "BindPaths", bindWritable);
  for (const auto& t : temporary) unit.add("TemporaryFileSystem=" + t);
  listDirective(unit.lines, "InaccessiblePaths", inaccessible);
  unit.add("NoExecPaths=/");
  listDirective(unit.lines, "ExecPaths", execPaths);
  for (const auto& d : devices) {
    unit.add("BindPaths=" + bindWord(d));
    unit.add("DeviceAllow=" + unitWord(d) + " rw");
  }
  losses.push_back(
      lost(Control::ReadsNarrowed, "reads narrowed to the declared paths",
           "ProtectSystem=strict makes the host's files read-only, not invisible: what the service's dynamic "
           "user may read stays readable, apart from home directories, /tmp, devices, masks and the known "
           "secret locations (InaccessiblePaths=)"));
  for (const auto& s : scratchOnPrivateTmp)
    losses.push_back(lost(Control::ScratchSize, fmt::format("the size of scratch `{}`", s),
                          fmt::format("{} is the unit's private directory (PrivateTmp=, which a dynamic user implies), "
                                      "emptied when it stops and not executable, but on the host's file system without "
                                      "a size limit",
                                      s)));
}

void addSecrets(const ExportInput& input, Unit& unit, std::vector<Loss>& losses) {
  if (input.plan.tokens.empty()) return;
  bool minted =
      std::any_of(input.plan.tokens.begin(), input.plan.tokens.end(), [](const auto& t) { return !t.hostFile; });
  bool hostFiles =
      std::any_of(input.plan.tokens.begin(), input.plan.tokens.end(), [](const auto& t) { return t.hostFile; });
  if (minted)
    unit.section(
        "Secrets: the runner mints each token into /run/sbxc/<unit>/NAME before the start (README.txt); systemd "
        "copies it into the unit's private credentials directory, and both copies go when the unit stops.");
  if (hostFiles)
    unit.section(
        "Host secrets (`source file`): systemd copies each host file into the unit's private credentials directory "
        "at the start; the copy goes when the unit stops, the host's file stays.");
  std::vector<std::string> directories, binds, removals;
  for (const auto& token : input.plan.tokens) {
    std::string secret = token.secret, target = token.exposureTarget;
    if (token.hostFile) {
      // systemd copies the host's file itself; the host's file is never removed.
      unit.add(fmt::format("LoadCredential={}:{}", secret, unitWord(token.source)));
    } else {
      unit.add(fmt::format("LoadCredential={0}:/run/sbxc/%n/{0}", secret));
      removals.push_back(fmt::format("/run/sbxc/%n/{}", secret));
    }
    if (token.exposure == plan::ExposureKind::Env) {
      losses.push_back(lost(Control::TokenAsVariable, fmt::format("`{}` as the variable {}", secret, target),
                            fmt::format("systemd gives credentials as files only: the task reads "
                                        "$CREDENTIALS_DIRECTORY/{}",
                                        secret)));
    } else {
      if (std::find(directories.begin(), directories.end(), parentOf(target)) == directories.end())
        directories.push_back(parentOf(target));
      binds.push_back(fmt::format("%d/{}:{}", secret, bindWord(target)));
    }
    if (!token.hostFile)
      losses.push_back(
          lost(Control::JustInTimeToken, fmt::format("just-in-time `{}`", secret),
               "systemd mints no token: the unit loads whatever the runner wrote, so the TTL, scopes and "
               "audience are the runner's to get right (README.txt); export with --allow-lossy once it does"));
    if (!token.hostFile)
      losses.push_back(
          lost(Control::TokenRevocation, fmt::format("revocation of `{}` when the task ends", secret),
               "the unit deletes its copies when it stops; revoking the token itself is the runner's job"));
    if (!token.tool.empty())
      losses.push_back(lost(Control::ToolScopedToken, fmt::format("`{}` for tool `{}` alone", secret, token.tool),
                            "every process of the unit can read its credentials: run the tool in a unit of its own"));
  }
  // An empty read-only tmpfs over each token directory hides the host's, then the tokens are bound in.
  for (const auto& d : directories) unit.add("TemporaryFileSystem=" + unitWord(d) + ":ro");
  listDirective(unit.lines, "BindReadOnlyPaths", binds);
  if (!removals.empty()) unit.add("ExecStopPost=+/bin/rm -f -- " + joined(removals, " "));
}

void addNetwork(const ExportInput& input, Unit& unit, std::vector<Loss>& losses) {
  using Kind = plan::DestinationKind;
  bool hostNetwork = input.plan.task.network == plan::NetworkMode::Host;
  std::vector<const plan::Destination*> destinations;
  for (const auto& d : input.plan.egress) destinations.push_back(&d);

  unit.section("Network.");
  if (hostNetwork) {
    // The host's network, as the task asks, but never the metadata or link-local ranges.
    std::vector<std::string> never;
    for (const char* any : {"0.0.0.0", "::"})
      for (const auto& range : unreachableParts(*Network::parse(any, 0), false)) never.push_back(range.text());
    unit.add("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6");
    listDirective(unit.lines, "IPAddressDeny", never);
    return;
  }
  if (destinations.empty()) {
    unit.add("PrivateNetwork=yes");
    unit.add("RestrictAddressFamilies=AF_UNIX");
    unit.add("IPAddressDeny=any");
    return;
  }
  std::vector<std::string> allowed, names, ports;
  for (const auto* d : destinations) {
    if (d->kind == Kind::Host || d->kind == Kind::Wildcard) {
      names.push_back(d->text);
    } else {
      for (const auto& network : networksOf(*d))
        for (const auto& part : subtract(network, unreachableParts(network, d->kind == Kind::Any)))
          if (std::find(allowed.begin(), allowed.end(), part.text()) == allowed.end()) allowed.push_back(part.text());
      ports.push_back(d->text);
    }
    bool reachable = d->kind != Kind::Host && d->kind != Kind::Wildcard;
    if (!d->tool.empty() && reachable)
      losses.push_back(lost(Control::ToolScopedDestination,
                            fmt::format("destination `{}` for tool `{}` alone", d->text, d->tool),
                            "IPAddressAllow= applies to every process of the unit; run the tool in a unit of its own"));
  }
  unit.add("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6");
  unit.add("IPAddressDeny=any");
  listDirective(unit.lines, "IPAddressAllow", allowed);
  if (!names.empty())
    losses.push_back(lost(Control::DeclaredEgress, fmt::format("egress to {}", joined(names)),
                          "systemd allows addresses, not names: these hosts stay unreachable (and so does DNS), which "
                          "keeps the allowlist but not the task's access; run it under sbx-run or export it to k8s"));
  if (!ports.empty())
    losses.push_back(lost(Control::PortsAndProtocols, "ports and protocols of " + joined(ports),
                          "IPAddressAllow= opens every port and protocol of an address; the metadata, link-local and "
                          "other never-reachable ranges are left out of it"));
  losses.push_back(
      lost(Control::ConnectionAudit, "every connection audited",
           "systemd filters addresses without a record of each connection (IPAccounting= counts bytes only)"));
}

void addLimits(const ExportInput& input, Unit& unit) {
  const plan::Limits& limits = input.plan.task.limits;
  unit.section("Limits: the cgroup's, and the same rlimits sbx-run sets.");
  if (limits.memoryBytes) unit.add(fmt::format("MemoryMax={}", *limits.memoryBytes));
  if (limits.pids) unit.add(fmt::format("TasksMax={}", *limits.pids));
  for (const auto& row : kRlimitRows)
    if (auto planned = plan::limitNamed(limits, row.planKey)) {
      std::string name = row.name;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
      unit.add(fmt::format("Limit{}={}", name, rlimitValue(row, *planned)));
    }
}

void addEnvironment(const plan::TaskDescription& task, Unit& unit, std::vector<Loss>& losses) {
  std::vector<std::string> passed;
  for (const auto& v : task.env) {
    if (!v.value) {
      passed.push_back(v.name);
      continue;
    }
    std::string escaped;
    for (char c : v.name + "=" + *v.value) {
      auto u = static_cast<unsigned char>(c);
      if (c == '%')
        escaped += "%%";
      else if (c == '"' || c == '\\')
        escaped += std::string("\\") + c;
      else if (c == '\n')
        escaped += "\\n";
      else if (u < 0x20 || u == 0x7f)
        escaped += fmt::format("\\x{:02x}", u);
      else
        escaped += c;
    }
    unit.add("Environment=\"" + escaped + "\"");
  }
  if (!passed.empty()) {
    unit.add("PassEnvironment=" + joined(passed, " "));
    losses.push_back(lost(Control::PassThroughVariables, "variables passed through: " + joined(passed),
                          "PassEnvironment= takes them from the service manager's environment, not from whoever starts "
                          "the unit"));
  }
}

std::string readme(const ExportInput& input, const std::string& unitFile, bool workspace) {
  std::string task = input.plan.task.name, prefix = "sbx-" + task;
  std::string instance = workspace ? prefix + "@NAME.service" : prefix + ".service";
  std::string dropIn = "/etc/systemd/system/" + unitFile + ".d";
  int step = 0;
  std::string out =
      fmt::format("systemd unit for task `{}` (T{}), written by sbxc {}.\n\n", task, input.plan.tier, SBXC_VERSION);
  out += fmt::format("{}. Install it:\n     systemctl link $PWD/{}\n", ++step, unitFile);
  out += fmt::format(
      "{}. Give the command, which the task does not fix: a drop-in sets ExecStart=, e.g.\n"
      "     mkdir -p {}\n"
      "     printf '[Service]\\nExecStart=/usr/bin/python3 /workspace/run.py\\n' > {}/command.conf\n"
      "     systemctl daemon-reload\n"
      "   The program must lie where the task may execute (ExecPaths= in the unit).\n",
      ++step, dropIn, dropIn);
  if (workspace)
    out += fmt::format(
        "{}. Each instance has its workspace: for {}, /var/lib/{}/NAME (a state\n"
        "   directory of the dynamic user, under /var/lib/private), seen inside as /workspace.\n"
        "   Root may put the task's files there before the start; systemd hands them to the unit's user.\n",
        ++step, instance, prefix);
  auto isMinted = [](const auto& token) { return !token.hostFile; };
  if (std::any_of(input.plan.tokens.begin(), input.plan.tokens.end(), isMinted)) {
    out += fmt::format("{}. Before each start, mint the task's tokens into these files, mode 0400, owned by root:\n",
                       ++step);
    for (const auto& token : input.plan.tokens)
      if (isMinted(token))
        out += fmt::format("     /run/sbxc/{}/{}  (audience {}, scopes {}, TTL {} s, subject {})\n", instance,
                           token.secret, token.audience, joined(token.scopes, " "), (token.ttlMs + 999) / 1000,
                           token.subject);
    out += "   and revoke them once the unit has stopped (the unit deletes the files).\n";
  }
  if (!std::all_of(input.plan.tokens.begin(), input.plan.tokens.end(), isMinted)) {
    out += fmt::format(
        "{}. The task's host secrets (`source file`) are loaded from the host as they are; nothing\n"
        "   mints or revokes them. Keep each file readable by root only:\n",
        ++step);
    for (const auto& token : input.plan.tokens)
      if (!isMinted(token)) out += fmt::format("     {}  ({})\n", token.source, token.secret);
  }
  out += fmt::format(
      "{}. Run it and read its exit status:\n"
      "     systemctl start --wait {}\n"
      "     systemctl show -p Result -p ExecMainStatus {}\n"
      "     journalctl -u {}\n"
      "\n"
      "MemoryDenyWriteExecute= is not set: sbx-run does not forbid writable and executable memory\n"
      "either, and JIT runtimes (node, java) need it; add it in the drop-in for a task that does not.\n"
      "loss.txt lists what systemd cannot do of the task.\n",
      ++step, instance, instance, instance);
  return out;
}

}  // namespace

namespace {

// The workspace is the instance's state directory, bound whole or (a path inside it granted) in
// parts, each read-only unless written; systemd follows links in a bind's source (reported).
void addWorkspace(const ExportInput& input, Unit& unit, std::vector<Loss>& losses) {
  const std::string& name = input.plan.task.name;
  unit.add("StateDirectory=sbx-" + name + "/%i");
  bool whole = false;
  for (const auto& m : input.plan.mounts) {
    if (m.type != plan::MountType::Workspace) continue;
    std::string inside = insideWorkspace(m);
    whole |= inside.empty();
    if (inside.empty())
      unit.add("BindPaths=%S/sbx-" + name + "/%i:" + kWorkspaceMountPoint);
    else
      unit.add(fmt::format("{}=%S/sbx-{}/%i/{}:{}", m.readOnly ? "BindReadOnlyPaths" : "BindPaths", name,
                           unitWord(inside), unitWord(m.target)));
  }
  if (whole) unit.add(std::string("WorkingDirectory=") + kWorkspaceMountPoint);
  addPathCheckLosses(input, "systemd", false, losses);
}

}  // namespace

ExportResult SystemdExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  const plan::TaskDescription& task = input.plan.task;
  bool workspace = std::any_of(input.plan.mounts.begin(), input.plan.mounts.end(),
                               [](const plan::Mount& m) { return m.type == plan::MountType::Workspace; });
  Unit unit;
  unit.fileName = fmt::format("sbx-{}{}.service", task.name, workspace ? "@" : "");
  std::string description = task.description ? ": " + *task.description : "";

  unit.add(fmt::format("# sbxc {}: task `{}` (T{}) as a systemd service.", SBXC_VERSION, task.name, input.plan.tier));
  unit.add("# It has no ExecStart=: a drop-in gives the command (README.txt).");
  if (workspace)
    unit.add("# The instance name is the workspace: /var/lib/sbx-" + task.name + "/<instance>, at /workspace.");
  unit.add("\n[Unit]");
  unit.add("Description=" + descriptionText("sbx task " + task.name + description));
  unit.add("\n[Service]");
  unit.add("Type=exec");
  unit.add("DynamicUser=yes");
  unit.add("UMask=0077");
  if (workspace) addWorkspace(input, unit, out.losses);
  std::uint64_t timeoutMs = input.plan.task.timeoutMs.value_or(0);
  if (timeoutMs) {
    unit.add(fmt::format("RuntimeMaxSec={}ms", timeoutMs));
    unit.add("TimeoutStopSec=1s");  // the timeout is the task's wall time: SIGKILL follows SIGTERM at once
  }
  addEnvironment(task, unit, out.losses);

  std::vector<std::string> tokenDirectories;
  for (const auto& token : input.plan.tokens)
    if (token.exposure == plan::ExposureKind::File) tokenDirectories.push_back(parentOf(token.exposureTarget));
  addFiles(input, tokenDirectories, unit, out.losses);
  addSecrets(input, unit, out.losses);
  addInjectionLosses(input, "systemd", out.losses);
  addRequestRuleLosses(input, "systemd", out.losses);

  unit.section("Privileges and kernel: none to gain, nothing of the kernel's to change.");
  for (const char* line :
       {"NoNewPrivileges=yes", "CapabilityBoundingSet=", "AmbientCapabilities=", "PrivateUsers=yes", "PrivateIPC=yes",
        "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectControlGroups=yes",
        "ProtectClock=yes", "ProtectHostname=yes", "ProtectProc=invisible", "ProcSubset=pid", "RestrictNamespaces=yes",
        "RestrictSUIDSGID=yes", "RestrictRealtime=yes", "LockPersonality=yes", "RemoveIPC=yes", "KeyringMode=private"})
    unit.add(line);
  if (!task.capabilities.empty())
    out.losses.push_back(lost(Control::DeclaredCapabilities, "the declared capabilities",
                              "not granted: every capability set is empty, as under sbx-run"));

  unit.section("System calls: the task's filter, by name (loss.txt says where that is broader).");
  unit.add("SystemCallArchitectures=native");
  auto profile = runtimeSeccompProfile(input, out.losses);
  for (auto& line : systemdSyscallDirectives(profile, input.filter.spec, out.losses)) unit.add(line);

  addNetwork(input, unit, out.losses);
  addLimits(input, unit);
  out.losses.push_back(
      lost(Control::ReplayableAudit, "the audit log",
           "the journal keeps the unit's start, exit status and the signal of a seccomp kill; sbx-run's "
           "audit lines (mounts, tokens, egress verdicts) are not written, and nothing replayable is"));

  std::string text;
  for (const auto& line : unit.lines) text += line + "\n";
  out.files.emplace_back("systemd/" + unit.fileName, text);
  out.files.emplace_back("systemd/README.txt", readme(input, unit.fileName, workspace));
  return out;
}

}  // namespace sbx::exporters
