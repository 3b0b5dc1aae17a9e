// Kubernetes: the task as manifests for `kubectl apply`. k8s/task.yaml holds a ServiceAccount of
// its own, a Job (one pod, never restarted, killed at the task's timeout) whose pod runs as
// 65534 with no privilege escalation, a read-only root, no capabilities but the declared ones, the
// task's seccomp filter as a Localhost profile, its mounts as volumes and its secrets as projected
// service-account tokens; and the egress policies (k8s_network.h). The profile itself, and a
// ConfigMap + DaemonSet that install it on every node, sit beside it; README.txt says how to run it.
//
// What Kubernetes cannot say goes to the loss report: a pod has no pids limit of its own and no
// noexec volumes, reads cannot be narrowed to declared paths of the host (the image's files stand
// in for them), a projected token is the cluster's JWT for at least 600 s, visible to every process.
#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "exporters/k8s_network.h"
#include "exporters/k8s_requests.h"
#include "exporters/request_losses.h"
#include "exporters/runtime_losses.h"
#include "exporters/seccomp_profile.h"
#include "exporters/targets.h"
#include "exporters/yaml.h"
#include "util/sha256.h"
#include "version.h"

namespace sbx::exporters {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kDefaultImage = "debian:bookworm-slim";  // Debian 12, as the stdlib's programs expect
constexpr std::uint64_t kNobody = 65534;
constexpr std::uint64_t kMinimumTokenSeconds = 600;  // the API server refuses shorter projected tokens
constexpr const char* kProfileDirectory = "/var/lib/kubelet/seccomp/sbxc";

// A DNS-1123 label from the task's name: lower case, '_' -> '-', at most 63 characters.
std::string objectName(const std::string& prefix, const std::string& task) {
  std::string out = prefix;
  for (char c : task) out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out = out.substr(0, 63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// A byte count as a Kubernetes quantity, in the largest binary unit that divides it.
std::string quantity(std::uint64_t bytes) {
  static constexpr std::pair<std::uint64_t, const char*> kUnits[] = {
      {1ull << 40, "Ti"}, {1ull << 30, "Gi"}, {1ull << 20, "Mi"}, {1ull << 10, "Ki"}};
  for (const auto& [size, suffix] : kUnits)
    if (bytes >= size && bytes % size == 0) return fmt::format("{}{}", bytes / size, suffix);
  return std::to_string(bytes);
}

std::string parentOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string baseOf(const std::string& path) {
  return path.substr(path.find_last_of('/') + 1);
}

bool under(const std::string& path, const std::string& directory) {
  return path == directory || path.starts_with(directory + "/");
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The pod's parts that the exporter assembles piece by piece.
struct PodParts {
  Json volumes = Json::array();
  Json mounts = Json::array();
  std::map<std::string, int> counts;  // volumes of each kind so far
  std::string volumeName(const std::string& kind) { return fmt::format("{}-{}", kind, ++counts[kind]); }
  void add(const std::string& name, Json source, const std::string& path, bool readOnly) {
    Json volume{{"name", name}};
    for (auto& [key, value] : source.items()) volume[key] = value;
    volumes.push_back(volume);
    Json mount{{"name", name}, {"mountPath", path}};
    if (readOnly) mount["readOnly"] = true;
    mounts.push_back(mount);
  }
  // The workspace volume (one emptyDir), mounted whole or a path inside it by subPath.
  void addWorkspace(const std::string& path, const std::string& inside, bool readOnly) {
    bool declared = std::any_of(volumes.begin(), volumes.end(), [](const Json& v) { return v["name"] == "workspace"; });
    if (!declared) volumes.push_back(Json{{"name", "workspace"}, {"emptyDir", Json::object()}});
    Json mount{{"name", "workspace"}, {"mountPath", path}};
    if (!inside.empty()) mount["subPath"] = inside;
    if (readOnly) mount["readOnly"] = true;
    mounts.push_back(mount);
  }
};

// The mount plan as volumes: workspace and writable paths on emptyDirs, scratch in memory, masks
// as empty read-only directories; host reads and devices cannot be given (reported).
void addMounts(const ExportInput& input, PodParts& pod, std::vector<Loss>& losses) {
  std::vector<std::string> hostReads, executableWrites, procMasks;
  for (const auto& m : input.plan.mounts) {
    using plan::MountType;
    MountType type = m.type;
    const std::string& target = m.target;
    bool writable = !m.readOnly;
    if (writable && m.noexec) executableWrites.push_back(target);
    if (type == MountType::Workspace) {
      std::string inside = insideWorkspace(m);
      pod.addWorkspace(target, inside, !inside.empty() && m.readOnly);
    } else if (type == MountType::Bind && !writable) {
      hostReads.push_back(target);
    } else if (type == MountType::Bind) {
      pod.add(pod.volumeName("write"), {{"emptyDir", Json::object()}}, target, false);
      losses.push_back(lost(Control::WritableHostPath, fmt::format("writable host path `{}`", target),
                            "an emptyDir stands in for it: it starts empty and is discarded with the pod (use a "
                            "PersistentVolumeClaim to keep what the task writes)"));
    } else if (type == MountType::Tmpfs) {
      Json emptyDir{{"medium", "Memory"}};
      if (m.sizeBytes) emptyDir["sizeLimit"] = quantity(*m.sizeBytes);
      pod.add(pod.volumeName("scratch"), {{"emptyDir", emptyDir}}, target, false);
    } else if (type == MountType::Mask && (under(target, "/proc") || under(target, "/sys"))) {
      procMasks.push_back(target);
    } else if (type == MountType::Mask) {
      pod.add(pod.volumeName("mask"), {{"emptyDir", Json::object()}}, target, true);
      losses.push_back(
          lost(Control::PathMask, fmt::format("mask of `{}`", target),
               "an empty read-only directory covers it; if it is a file in the image the container does not "
               "start (remove the file from the image instead)"));
    } else if (type == MountType::Device) {
      losses.push_back(
          lost(Control::Device, fmt::format("device `{}`", target),
               "not given: a host device needs a hostPath volume in a privileged container, which would undo "
               "the sandbox; use the device plugin that offers it as a resource"));
    }
  }
  // kubelet resolves a subPath inside its volume and refuses one that leaves it.
  addPathCheckLosses(input, "Kubernetes", true, losses);
  if (!hostReads.empty())
    losses.push_back(lost(Control::ReadsNarrowed, "reads narrowed to the declared paths",
                          fmt::format("the container reads its image's own files, all of them, read-only "
                                      "(readOnlyRootFilesystem) instead of the host's {}; image {}",
                                      joined(hostReads), input.image.empty() ? kDefaultImage : input.image)));
  if (!procMasks.empty())
    losses.push_back(
        lost(Control::PathMask, fmt::format("masks of {}", joined(procMasks)),
             "Kubernetes cannot mount over /proc or /sys; the runtime's default masked paths (procMount "
             "Default: /proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware, ...) hide the usual ones"));
  if (!executableWrites.empty())
    losses.push_back(lost(Control::NoExecFromWritable, "no exec from writable paths",
                          fmt::format("Kubernetes mounts volumes without noexec: programs written to {} can be run",
                                      joined(executableWrites))));
}

// The secrets as projected service-account tokens, one volume per directory of the exposures.
void addTokens(const ExportInput& input, PodParts& pod, std::vector<Loss>& losses) {
  std::uint64_t timeoutSeconds = input.plan.task.timeoutMs.value_or(0) / 1000;
  std::vector<std::pair<std::string, Json>> directories;  // mount path -> sources, in first-use order
  for (const auto& token : input.plan.tokens) {
    std::string secret = token.secret;
    std::string target = token.exposureTarget;
    if (token.hostFile) {  // the cluster cannot read the launching host's file
      losses.push_back(lost(Control::HostFileSecret, fmt::format("`{}` from the host file {}", secret, token.source),
                            fmt::format("a pod cannot read the host's file: create a Secret from it and mount it at "
                                        "{} with defaultMode 0400",
                                        target)));
      continue;
    }
    if (token.exposure == plan::ExposureKind::Env) {
      losses.push_back(lost(Control::TokenAsVariable, fmt::format("`{}` as the variable {}", secret, target),
                            fmt::format("Kubernetes puts service-account tokens in files only: it is the file "
                                        "/run/secrets/{}",
                                        secret)));
      target = "/run/secrets/" + secret;
    }
    std::uint64_t ttlSeconds = (token.ttlMs + 999) / 1000;
    std::uint64_t expiration = std::max(ttlSeconds, kMinimumTokenSeconds);
    std::string audience = token.audience;
    if (audience.empty()) {
      audience = token.source;
      losses.push_back(
          lost(Control::TokenAudience, fmt::format("audience of `{}`", secret),
               fmt::format("none declared: the token is for `{}` (Kubernetes would make it one for the API "
                           "server)",
                           audience)));
    }
    Json source{
        {"serviceAccountToken", {{"audience", audience}, {"expirationSeconds", expiration}, {"path", baseOf(target)}}}};
    std::string directory = parentOf(target);
    auto it = std::find_if(directories.begin(), directories.end(), [&](const auto& d) { return d.first == directory; });
    if (it == directories.end())
      directories.emplace_back(directory, Json::array({source}));
    else
      it->second.push_back(source);

    losses.push_back(lost(Control::TokenScopes, fmt::format("scopes of `{}` ({})", secret, joined(token.scopes)),
                          "a service-account token carries its audience and expiry only: the audience service maps the "
                          "service account to the scopes"));
    losses.push_back(
        lost(Control::SbxcSignedToken, fmt::format("sbxc's token for `{}`", secret),
             fmt::format("the token is the cluster's service-account JWT (subject system:serviceaccount:NS:"
                         "{}, not {}), not one sbx-run's broker signs from `{}`: the service checks it with "
                         "a TokenReview or the cluster's OIDC issuer, not `sbxc token verify`; the kubelet "
                         "renews it at 80% of its lifetime while the pod runs",
                         objectName("sbx-", input.plan.task.name), token.subject, token.source)));
    losses.push_back(
        lost(Control::TokenRevocation, fmt::format("revocation of `{}` when the task ends", secret),
             "the Job is deleted when it finishes (ttlSecondsAfterFinished: 0), which invalidates the bound "
             "token for services that check it with a TokenReview; one that checks only the signature "
             "accepts it until it expires"));
    if (expiration > ttlSeconds) {
      bool outlivesTask = timeoutSeconds && expiration > timeoutSeconds;
      losses.push_back(lost(
          outlivesTask ? Control::TokenTtlWithinTimeout : Control::TokenTtlRounded,
          fmt::format("TTL of `{}` ({} s)", secret, ttlSeconds),
          fmt::format("projected tokens last at least {} s{}", kMinimumTokenSeconds,
                      outlivesTask ? fmt::format(", longer than the task's timeout of {} s", timeoutSeconds) : "")));
    }
    if (!token.tool.empty())
      losses.push_back(
          lost(Control::ToolScopedToken, fmt::format("`{}` for tool `{}` alone", secret, token.tool),
               "a projected token is a file every process of the container can read; run the tool in a pod "
               "of its own"));
  }
  for (auto& [directory, sources] : directories)
    pod.add(pod.volumeName("secrets"), {{"projected", {{"sources", sources}, {"defaultMode", 0440}}}}, directory, true);
}

Json containerSecurity(const plan::TaskDescription& task, std::vector<Loss>& losses) {
  Json capabilities{{"drop", {"ALL"}}};
  for (const auto& c : task.capabilities) {
    std::string name = c.name.starts_with("CAP_") ? c.name.substr(4) : c.name;
    if (!capabilities.contains("add")) capabilities["add"] = Json::array();
    capabilities["add"].push_back(name);
    losses.push_back(
        lost(Control::DeclaredCapabilities, fmt::format("capability {}", c.name),
             "added to the container's bounding set only: the task runs as 65534 with no privilege "
             "escalation, so its processes cannot raise it (and the pod no longer meets the restricted Pod "
             "Security Standard unless it is NET_BIND_SERVICE)"));
  }
  return {{"allowPrivilegeEscalation", false},
          {"privileged", false},
          {"readOnlyRootFilesystem", true},
          {"runAsNonRoot", true},
          {"capabilities", capabilities}};
}

Json resources(const plan::TaskDescription& task, std::vector<Loss>& losses) {
  const auto& limits = task.limits;
  if (limits.pids)
    losses.push_back(lost(Control::PidsLimit, fmt::format("pids limit ({})", *limits.pids),
                          "a pod spec cannot limit its processes: set the kubelet's podPidsLimit on the nodes that run "
                          "sbxc tasks, then export with --allow-lossy"));
  if (limits.cpuMs)
    losses.push_back(lost(Control::SandboxCpuTime, fmt::format("CPU time limit ({} ms)", *limits.cpuMs),
                          "Kubernetes limits the CPU rate, not CPU time; activeDeadlineSeconds bounds the wall time"));
  if (limits.openFiles)
    losses.push_back(lost(Control::ProcessRlimits, fmt::format("open files limit ({})", *limits.openFiles),
                          "a pod spec cannot set RLIMIT_NOFILE: the container runtime's default applies"));
  if (limits.fileSizeBytes)
    losses.push_back(lost(Control::ProcessRlimits, fmt::format("file size limit ({} bytes)", *limits.fileSizeBytes),
                          "a pod spec cannot set RLIMIT_FSIZE; emptyDir sizeLimit bounds the scratch volumes"));
  if (!limits.memoryBytes) return Json::object();
  std::string memory = quantity(*limits.memoryBytes);
  return {{"limits", {{"memory", memory}}}, {"requests", {{"memory", memory}}}};
}

Json environment(const plan::TaskDescription& task, std::vector<Loss>& losses) {
  Json env = Json::array();
  for (const auto& v : task.env) {
    if (v.value)
      env.push_back({{"name", v.name}, {"value", *v.value}});
    else
      losses.push_back(lost(Control::PassThroughVariables, fmt::format("variable {} passed through", v.name),
                            "a manifest has no launcher environment to take it from: set its value in the container's "
                            "env"));
  }
  losses.push_back(lost(Control::DeclaredEnvironmentOnly, "an environment of the declared variables only",
                        "the container also gets its image's ENV, HOSTNAME and KUBERNETES_SERVICE_* (service links "
                        "are off)"));
  return env;
}

Json job(const ExportInput& input, const std::string& name, const Json& labels, std::vector<Loss>& losses) {
  const plan::TaskDescription& task = input.plan.task;
  PodParts pod;
  addMounts(input, pod, losses);
  addTokens(input, pod, losses);
  addInjectionLosses(input, "Kubernetes", losses);

  Json container{{"name", "task"}, {"image", input.image.empty() ? kDefaultImage : input.image}};
  for (const auto& m : input.plan.mounts)
    if (m.type == plan::MountType::Workspace) container["workingDir"] = kWorkspaceMountPoint;
  Json env = environment(task, losses);
  if (!env.empty()) container["env"] = env;
  Json limits = resources(task, losses);
  if (!limits.empty()) container["resources"] = limits;
  container["securityContext"] = containerSecurity(task, losses);
  if (!pod.mounts.empty()) container["volumeMounts"] = pod.mounts;

  Json podSpec{{"serviceAccountName", name},
               {"automountServiceAccountToken", false},
               {"enableServiceLinks", false},
               {"restartPolicy", "Never"}};
  if (task.network == plan::NetworkMode::Host) podSpec["hostNetwork"] = true;
  // Dotted names are looked up as written first, so no search-domain lookup meets the DNS rule.
  if (namesHosts(input.plan)) podSpec["dnsConfig"] = {{"options", {{{"name", "ndots"}, {"value", "1"}}}}};
  podSpec["securityContext"] = {
      {"runAsNonRoot", true},
      {"runAsUser", kNobody},
      {"runAsGroup", kNobody},
      {"fsGroup", kNobody},
      {"seccompProfile", {{"type", "Localhost"}, {"localhostProfile", fmt::format("sbxc/{}.json", task.name)}}}};
  podSpec["containers"] = Json::array({container});
  if (!pod.volumes.empty()) podSpec["volumes"] = pod.volumes;

  Json spec{{"backoffLimit", 0}};
  std::uint64_t timeoutMs = input.plan.task.timeoutMs.value_or(0);
  if (timeoutMs) spec["activeDeadlineSeconds"] = (timeoutMs + 999) / 1000;
  // Deleting the pod is what invalidates its bound tokens.
  if (!input.plan.tokens.empty()) spec["ttlSecondsAfterFinished"] = 0;
  spec["template"] = {{"metadata", {{"labels", labels}}}, {"spec", podSpec}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", name},
            {"labels", labels},
            {"annotations", {{"sbxc/task", task.name}, {"sbxc/tier", fmt::format("T{}", input.plan.tier)}}}}},
          {"spec", spec}};
}

// A ConfigMap with the profile and a DaemonSet that copies it to every node's kubelet directory,
// rolled again whenever the profile changes (its digest is in the pod template).
std::string installer(const ExportInput& input, const std::string& profile) {
  std::string task = input.plan.task.name, name = objectName("sbxc-seccomp-", task);
  std::string image = input.image.empty() ? kDefaultImage : input.image;
  Json labels{{"app.kubernetes.io/name", name}, {"app.kubernetes.io/managed-by", "sbxc"}};
  Json configMap{{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", name}, {"namespace", "kube-system"}, {"labels", labels}}},
                 {"data", {{task + ".json", profile}}}};
  Json dropAll{{"drop", {"ALL"}}};
  Json install{
      {"name", "install"},
      {"image", image},
      {"command",
       {"/bin/sh", "-c",
        fmt::format("cp /profile/{0}.json /host/.{0}.json.new && mv -f /host/.{0}.json.new /host/{0}.json", task)}},
      // Root without capabilities: enough to write the root-owned directory the kubelet created.
      {"securityContext",
       {{"runAsUser", 0},
        {"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"capabilities", dropAll}}},
      {"volumeMounts",
       {{{"name", "profile"}, {"mountPath", "/profile"}, {"readOnly", true}},
        {{"name", "host"}, {"mountPath", "/host"}}}}};
  Json hold{{"name", "hold"},
            {"image", image},
            {"command", {"sleep", "infinity"}},
            {"resources", {{"requests", {{"cpu", "1m"}, {"memory", "8Mi"}}}, {"limits", {{"memory", "16Mi"}}}}},
            {"securityContext",
             {{"runAsNonRoot", true},
              {"runAsUser", kNobody},
              {"runAsGroup", kNobody},
              {"allowPrivilegeEscalation", false},
              {"readOnlyRootFilesystem", true},
              {"capabilities", dropAll}}}};
  Json podSpec{{"automountServiceAccountToken", false},
               {"enableServiceLinks", false},
               {"securityContext", {{"seccompProfile", {{"type", "RuntimeDefault"}}}}},
               {"tolerations", {{{"operator", "Exists"}}}},
               {"initContainers", {install}},
               {"containers", {hold}},
               {"volumes",
                {{{"name", "profile"}, {"configMap", {{"name", name}}}},
                 {{"name", "host"}, {"hostPath", {{"path", kProfileDirectory}, {"type", "DirectoryOrCreate"}}}}}}};
  Json daemonSet{{"apiVersion", "apps/v1"},
                 {"kind", "DaemonSet"},
                 {"metadata", {{"name", name}, {"namespace", "kube-system"}, {"labels", labels}}},
                 {"spec",
                  {{"selector", {{"matchLabels", labels}}},
                   {"template",
                    {{"metadata", {{"labels", labels}, {"annotations", {{"sbxc/profile-sha256", sha256Hex(profile)}}}}},
                     {"spec", podSpec}}}}}};
  return fmt::format("# sbxc {}: installs the seccomp profile of task `{}` as {}/{}.json on every node.\n",
                     SBXC_VERSION, task, kProfileDirectory, task) +
         toYaml(configMap) + "---\n" + toYaml(daemonSet);
}

std::string readme(const ExportInput& input, const std::string& name, bool cilium) {
  std::string task = input.plan.task.name;
  std::string image = input.image.empty()
                          ? fmt::format("{} (the default; `sbxc compile --image` names another)", kDefaultImage)
                          : input.image;
  return fmt::format(
      "Kubernetes manifests for task `{0}` (T{1}), written by sbxc {2}.\n"
      "\n"
      "  task.yaml: the ServiceAccount, the Job and the NetworkPolicy{3}\n"
      "  seccomp/{0}.json: the seccomp profile (the Localhost profile sbxc/{0}.json)\n"
      "  seccomp-installer.yaml: a ConfigMap and a DaemonSet in kube-system that copy it to every node\n"
      "\n"
      "1. Install the profile where the kubelet reads it; a pod whose profile is missing does not\n"
      "   start. The kubelet's file: {4}/{0}.json\n"
      "     kubectl apply -f seccomp-installer.yaml\n"
      "     kubectl -n kube-system rollout status daemonset/{5}\n"
      "   or on each node:\n"
      "     install -D -m 0644 seccomp/{0}.json {4}/{0}.json\n"
      "   (a kubelet with another --root-dir reads <root-dir>/seccomp/sbxc/{0}.json).\n"
      "\n"
      "2. Say what to run: the container `task` runs the image's entrypoint. Image:\n"
      "   {6}.\n"
      "   Add `command:` and `args:` to it in task.yaml (or with a kustomize patch).\n"
      "\n"
      "3. Run it in a namespace:\n"
      "     kubectl -n NAMESPACE apply -f task.yaml\n"
      "     kubectl -n NAMESPACE logs -f job/{7}\n"
      "   A Job runs once; delete it (kubectl delete -f task.yaml) before applying it again.{9}\n"
      "\n"
      "The pod meets the `restricted` Pod Security Standard unless the task adds capabilities.\n"
      "The NetworkPolicy needs a network plugin that enforces it (Calico, Cilium, ...).{8}\n"
      "The workspace is an emptyDir: it starts empty and goes with the pod; to keep it, make the\n"
      "`workspace` volume a PersistentVolumeClaim. loss.txt lists what else Kubernetes cannot do.\n{10}",
      task, input.plan.tier, SBXC_VERSION,
      cilium ? (hasRequestRules(input.plan)
                    ? ",\n    and the CiliumNetworkPolicies for the host names and the request rules"
                    : ",\n    and the CiliumNetworkPolicy for the host names")
             : "",
      kProfileDirectory, objectName("sbxc-seccomp-", task), image, name,
      !cilium ? ""
      : hasRequestRules(input.plan)
          ? (namesHosts(input.plan)
                 ? "\nThe host names and request rules need Cilium: without it the CiliumNetworkPolicies\n"
                   "are refused and those destinations stay unreachable."
                 : "\nThe request rules need Cilium: without it the CiliumNetworkPolicy is refused and\n"
                   "the destinations they name stay unreachable.")
          : "\nThe host names need Cilium: without it the CiliumNetworkPolicy is refused and those\n"
            "hosts stay unreachable.",
      input.plan.tokens.empty()
          ? ""
          : "\n   It deletes itself when it ends, which revokes its tokens: read its logs while it runs.",
      k8sInterceptionSteps(input, name));
}

}  // namespace

ExportResult K8sExporter::exportTask(const ExportInput& input) const {
  ExportResult out;
  const std::string& task = input.plan.task.name;
  std::string name = objectName("sbx-", task);
  Json labels{{"app.kubernetes.io/name", name}, {"app.kubernetes.io/managed-by", "sbxc"}};

  std::string profile = runtimeSeccompProfile(input, out.losses).dump(2) + "\n";
  Json account{{"apiVersion", "v1"},
               {"kind", "ServiceAccount"},
               {"metadata", {{"name", name}, {"labels", labels}}},
               {"automountServiceAccountToken", false}};
  std::string manifest = fmt::format(
                             "# sbxc {}: task `{}` (T{}). Install the seccomp profile on the nodes first, then\n"
                             "# kubectl -n NAMESPACE apply -f task.yaml (README.txt).\n",
                             SBXC_VERSION, task, input.plan.tier) +
                         toYaml(account) + "---\n" + toYaml(job(input, name, labels, out.losses));
  for (const auto& policy : k8sNetworkPolicies(input, name, labels, out.losses)) manifest += "---\n" + toYaml(policy);
  out.losses.push_back(
      lost(Control::ReplayableAudit, "the audit log",
           "sbx-run's audit lines (mounts, tokens, egress verdicts, seccomp kills, exit) are not written; "
           "the cluster keeps the Job's events and exit status, and the API server's audit log its "
           "creation, which is not a replayable record of the run"));

  out.files.emplace_back("k8s/task.yaml", manifest);
  out.files.emplace_back(fmt::format("k8s/seccomp/{}.json", task), profile);
  out.files.emplace_back("k8s/seccomp-installer.yaml", installer(input, profile));
  out.files.emplace_back("k8s/README.txt", readme(input, name, namesHosts(input.plan) || hasRequestRules(input.plan)));
  return out;
}

}  // namespace sbx::exporters
