// `sbxc compile --target k8s`: the manifests are read back with PyYAML (a YAML parser that is not
// sbxc's, refusing duplicate keys) and checked field by field: the Job's pod and its security
// context, the volumes of the mount plan, the projected tokens, the NetworkPolicy and the
// CiliumNetworkPolicy, the seccomp profile and its installer; the loss report, the export that
// fails without --allow-lossy and writes nothing, and byte-identical output.
//
// kubectl is not used: even `kubectl create --dry-run=client` asks an API server for its resource
// types, and these tests contact no server.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"
#include "support/yaml_documents.h"
#include "util/sha256.h"

namespace fs = std::filesystem;
using namespace sbx::test;
using nlohmann::json;

namespace {

const std::string kExamples = (sourceDir() / "examples").string();

std::vector<std::string> kinds(const json& documents) {
  std::vector<std::string> out;
  for (const auto& d : documents) out.push_back(d["kind"]);
  return out;
}

json volumeNamed(const json& pod, const std::string& name) {
  for (const auto& v : pod["volumes"])
    if (v["name"] == name) return v;
  FAIL("no volume " << name);
  return {};
}

json mountAt(const json& container, const std::string& path) {
  for (const auto& m : container["volumeMounts"])
    if (m["mountPath"] == path) return m;
  FAIL("no mount at " << path);
  return {};
}

bool anyMandatory(const json& lossReport) {
  for (const auto& l : lossReport["losses"])
    if (l["mandatory"] == true) return true;
  return false;
}

// Exports `policy` to DIR; returns the run.
Run exportK8s(const std::string& policy, const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"compile", policy, "--target", "k8s", "-o", dir.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return sbxc(args);
}

// Every file under `a` has the same bytes under `b`, and no file is missing.
void checkSameTree(const fs::path& a, const fs::path& b) {
  std::set<std::string> left, right;
  for (const auto& e : fs::recursive_directory_iterator(a))
    if (e.is_regular_file()) left.insert(fs::relative(e.path(), a).string());
  for (const auto& e : fs::recursive_directory_iterator(b))
    if (e.is_regular_file()) right.insert(fs::relative(e.path(), b).string());
  CHECK(left == right);
  for (const auto& f : left) CHECK_MESSAGE(readText(a / f) == readText(b / f), f);
}

// A T2 task with host names, a wildcard and networks, two of which hold metadata addresses, and
// the metadata address again, spelled as an IPv4-mapped IPv6 address.
constexpr const char* kFetcher = R"(task fetcher {
  timeout 5m
  read "/usr", "/lib"
  write workspace
  # The exporters must drop the metadata ranges and pass the wildcard: these are on purpose.
  @suppress(wildcard-egress, reason "the exporters' handling of a wildcard is under test")
  @suppress(metadata-reachable, reason "the exporters must leave the metadata ranges out")
  connect "api.github.com:443", "*.githubusercontent.com:443", "10.20.0.0/16:8080-8090", "169.0.0.0/8:80",
      "[fd00::/8]:443", "169.254.169.254:80", "[::ffff:169.254.169.254]:80"
  env MODE = "batch"
  limits {
    memory 1GiB
  }
}
)";

// A T0 task: reads and scratch only; k8s loses nothing that T0 makes mandatory.
constexpr const char* kObserver = R"(task observer {
  timeout 1m
  read "/usr"
  scratch "/tmp" size 16MiB
}
)";

// A T3 task whose token must live 2 minutes in a 5-minute task: Kubernetes' 600 s outlives it.
constexpr const char* kShortToken = R"(task short_token {
  identity spiffe "spiffe://sbx.local/test/short-token"
  timeout 5m
  @suppress(unscoped-token, reason "the test exports the secret alone")
  secret api_key {
    source "broker://local/api"
    scope "api:read"
    audience "api.local"
    ttl 2m
    expose file "/var/run/sbx/api_key"
  }
}
)";

}  // namespace

TEST_CASE("export k8s: contained as a Job with a restricted pod, refused without --allow-lossy for pids and exec") {
  std::string policy = kExamples + "/contained.sbx";
  TempDir dir;
  Run refused = exportK8s(policy, dir.path());
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("MANDATORY at T1 pids limit (64)") != std::string::npos);
  CHECK(refused.err.find("MANDATORY at T1 no exec from writable paths") != std::string::npos);
  CHECK(refused.err.find("nothing was written") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "contained"));

  Run r = exportK8s(policy, dir.path(), {"--allow-lossy"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  fs::path out = dir.path() / "contained/k8s";
  json docs = yamlDocuments(out / "task.yaml");
  CHECK(kinds(docs) == std::vector<std::string>{"ServiceAccount", "Job", "NetworkPolicy"});
  json account = documentOfKind(docs, "ServiceAccount");
  CHECK(account["metadata"]["name"] == "sbx-contained");
  CHECK(account["automountServiceAccountToken"] == false);

  json job = documentOfKind(docs, "Job");
  CHECK(job["apiVersion"] == "batch/v1");
  CHECK(job["spec"]["backoffLimit"] == 0);
  CHECK(job["spec"]["activeDeadlineSeconds"] == 10);
  CHECK_FALSE(job["spec"].contains("ttlSecondsAfterFinished"));
  CHECK(job["metadata"]["annotations"]["sbxc/tier"] == "T1");
  json pod = job["spec"]["template"]["spec"];
  CHECK(pod["restartPolicy"] == "Never");
  CHECK(pod["serviceAccountName"] == "sbx-contained");
  CHECK(pod["automountServiceAccountToken"] == false);
  CHECK(pod["enableServiceLinks"] == false);
  CHECK_FALSE(pod.contains("hostNetwork"));
  CHECK_FALSE(pod.contains("dnsConfig"));
  json podSecurity = pod["securityContext"];
  CHECK(podSecurity["runAsNonRoot"] == true);
  CHECK(podSecurity["runAsUser"] == 65534);
  CHECK(podSecurity["runAsGroup"] == 65534);
  CHECK(podSecurity["seccompProfile"] == json{{"type", "Localhost"}, {"localhostProfile", "sbxc/contained.json"}});
  REQUIRE(pod["containers"].size() == 1);
  json container = pod["containers"][0];
  CHECK(container["image"] == "debian:bookworm-slim");
  CHECK(container["workingDir"] == "/workspace");
  json security = container["securityContext"];
  CHECK(security["allowPrivilegeEscalation"] == false);
  CHECK(security["privileged"] == false);
  CHECK(security["readOnlyRootFilesystem"] == true);
  CHECK(security["capabilities"] == json{{"drop", {"ALL"}}});
  CHECK(container["resources"]["limits"]["memory"] == "256Mi");
  CHECK(container["resources"]["requests"]["memory"] == "256Mi");
  CHECK_FALSE(container.contains("env"));
  CHECK(volumeNamed(pod, "workspace")["emptyDir"] == json::object());
  CHECK(mountAt(container, "/workspace")["name"] == "workspace");
  CHECK(pod["volumes"].size() == 1);  // the host reads are the image's files, not volumes

  json policyDoc = documentOfKind(docs, "NetworkPolicy");
  CHECK(policyDoc["spec"]["podSelector"]["matchLabels"] == job["spec"]["template"]["metadata"]["labels"]);
  CHECK(policyDoc["spec"]["policyTypes"] == json{"Ingress", "Egress"});
  CHECK(policyDoc["spec"]["egress"] == json::array());  // no destination: no egress at all
  CHECK_FALSE(policyDoc["spec"].contains("ingress"));

  // The profile is the docker-seccomp target's, byte for byte; the installer carries it.
  std::string profile = readText(out / "seccomp/contained.json");
  TempDir docker;
  REQUIRE(sbxc({"compile", policy, "--target", "docker-seccomp", "-o", docker.path().string()}).exitCode == 0);
  CHECK(profile == readText(docker.path() / "contained/seccomp.json"));
  json installer = yamlDocuments(out / "seccomp-installer.yaml");
  CHECK(kinds(installer) == std::vector<std::string>{"ConfigMap", "DaemonSet"});
  json configMap = documentOfKind(installer, "ConfigMap");
  CHECK(configMap["metadata"]["namespace"] == "kube-system");
  CHECK(configMap["data"]["contained.json"] == profile);
  json daemonSet = documentOfKind(installer, "DaemonSet");
  json installPod = daemonSet["spec"]["template"]["spec"];
  CHECK(daemonSet["spec"]["selector"]["matchLabels"] == daemonSet["spec"]["template"]["metadata"]["labels"]);
  CHECK(daemonSet["spec"]["template"]["metadata"]["annotations"]["sbxc/profile-sha256"] == sbx::sha256Hex(profile));
  CHECK(volumeNamed(installPod, "host")["hostPath"] ==
        json{{"path", "/var/lib/kubelet/seccomp/sbxc"}, {"type", "DirectoryOrCreate"}});
  CHECK(volumeNamed(installPod, "profile")["configMap"]["name"] == configMap["metadata"]["name"]);
  CHECK(installPod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault");
  CHECK(installPod["initContainers"][0]["securityContext"]["capabilities"]["drop"] == json{"ALL"});
  std::string copy = installPod["initContainers"][0]["command"].back();
  CHECK(copy.find("mv -f /host/.contained.json.new /host/contained.json") != std::string::npos);
  CHECK(readText(out / "README.txt").find("/var/lib/kubelet/seccomp/sbxc/contained.json") != std::string::npos);

  json losses = json::parse(readText(dir.path() / "contained/loss.json"));
  CHECK(losses["tier"] == 1);
  CHECK(anyMandatory(losses));

  TempDir again;
  REQUIRE(exportK8s(policy, again.path(), {"--allow-lossy"}).exitCode == 0);
  checkSameTree(dir.path() / "contained", again.path() / "contained");
}

TEST_CASE("export k8s: egress-local allows one address and port, and its connections go unaudited (T2)") {
  std::string policy = kExamples + "/egress-local.sbx";
  TempDir dir;
  Run refused = exportK8s(policy, dir.path());
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("MANDATORY at T2 every connection audited") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "egress_local"));
  Run r = exportK8s(policy, dir.path(), {"--allow-lossy"});
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.find("lost destination `127.0.0.1:18080`: a pod's loopback is its own") != std::string::npos);
  json docs = yamlDocuments(dir.path() / "egress_local/k8s/task.yaml");
  CHECK(kinds(docs) == std::vector<std::string>{"ServiceAccount", "Job", "NetworkPolicy"});
  json egress = documentOfKind(docs, "NetworkPolicy")["spec"]["egress"];
  REQUIRE(egress.size() == 1);
  CHECK(egress[0]["to"] == json::parse(R"([{"ipBlock": {"cidr": "127.0.0.1/32"}}])"));
  CHECK(egress[0]["ports"] == json::parse(R"([{"protocol": "TCP", "port": 18080}])"));
  json pod = documentOfKind(docs, "Job")["spec"]["template"]["spec"];
  json container = pod["containers"][0];
  CHECK(container["env"] == json::parse(R"([{"name": "LANG", "value": "C.UTF-8"},
      {"name": "PATH", "value": "/usr/local/bin:/usr/bin:/bin"}, {"name": "HOME", "value": "/workspace"},
      {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}, {"name": "PYTHONUNBUFFERED", "value": "1"}])"));
  json scratch = volumeNamed(pod, mountAt(container, "/tmp")["name"]);
  CHECK(scratch["emptyDir"] == json{{"medium", "Memory"}, {"sizeLimit", "256Mi"}});
  CHECK(container["resources"]["limits"]["memory"] == "512Mi");
}

TEST_CASE("export k8s: host names and a wildcard through Cilium, networks without their metadata ranges") {
  TempDir dir;
  writeText(dir.path() / "fetcher.sbx", kFetcher);
  Run r = exportK8s((dir.path() / "fetcher.sbx").string(), dir.path() / "out", {"--allow-lossy"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  json docs = yamlDocuments(dir.path() / "out/fetcher/k8s/task.yaml");
  CHECK(kinds(docs) == std::vector<std::string>{"ServiceAccount", "Job", "NetworkPolicy", "CiliumNetworkPolicy"});

  json egress = documentOfKind(docs, "NetworkPolicy")["spec"]["egress"];
  REQUIRE(egress.size() == 3);  // the metadata address itself is left out
  CHECK(egress[0]["to"][0]["ipBlock"] == json{{"cidr", "10.20.0.0/16"}});
  CHECK(egress[0]["ports"] == json::parse(R"([{"protocol": "TCP", "port": 8080, "endPort": 8090}])"));
  CHECK(egress[1]["to"][0]["ipBlock"] == json{{"cidr", "169.0.0.0/8"}, {"except", {"169.254.0.0/16"}}});
  CHECK(egress[2]["to"][0]["ipBlock"] == json{{"cidr", "fd00::/8"}, {"except", {"fd00:ec2::254/128"}}});
  // "[::ffff:169.254.169.254]:80" is that IPv4 destination in the model: two loss lines for it.
  std::string lost = "lost destination `169.254.169.254:80`: 169.254.169.254/32 is link-local";
  auto first = r.err.find(lost);
  REQUIRE(first != std::string::npos);
  CHECK(r.err.find(lost, first + 1) != std::string::npos);

  json cilium = documentOfKind(docs, "CiliumNetworkPolicy");
  CHECK(cilium["apiVersion"] == "cilium.io/v2");
  json job = documentOfKind(docs, "Job");
  CHECK(cilium["spec"]["endpointSelector"]["matchLabels"] == job["spec"]["template"]["metadata"]["labels"]);
  json rules = cilium["spec"]["egress"];
  REQUIRE(rules.size() == 3);
  // DNS to kube-dns only, for the declared names only.
  CHECK(rules[0]["toEndpoints"] == json::parse(R"([{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
      "k8s:k8s-app": "kube-dns"}}])"));
  CHECK(rules[0]["toPorts"][0]["ports"] ==
        json::parse(R"([{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}])"));
  CHECK(rules[0]["toPorts"][0]["rules"]["dns"] ==
        json::parse(R"([{"matchName": "api.github.com"}, {"matchPattern": "*.githubusercontent.com"}])"));
  CHECK(rules[1]["toFQDNs"] == json::parse(R"([{"matchName": "api.github.com"}])"));
  CHECK(rules[1]["toPorts"][0]["ports"] == json::parse(R"([{"port": "443", "protocol": "TCP"}])"));
  CHECK(rules[2]["toFQDNs"] == json::parse(R"([{"matchPattern": "*.githubusercontent.com"}])"));
  std::set<std::string> denied;
  for (const auto& c : cilium["spec"]["egressDeny"][0]["toCIDRSet"]) denied.insert(c["cidr"]);
  CHECK(denied.contains("169.254.0.0/16"));
  CHECK(denied.contains("fd00:ec2::254/128"));
  CHECK(denied.contains("fe80::/10"));

  json pod = job["spec"]["template"]["spec"];
  CHECK(pod["dnsConfig"] == json::parse(R"({"options": [{"name": "ndots", "value": "1"}]})"));
  CHECK(pod["containers"][0]["env"] == json::parse(R"([{"name": "MODE", "value": "batch"}])"));
  CHECK(pod["containers"][0]["resources"]["limits"]["memory"] == "1Gi");
  CHECK(r.err.find("lost subdomains more than one label deep") != std::string::npos);
  CHECK(r.err.find("MANDATORY at T2 every connection audited") != std::string::npos);
}

TEST_CASE("export k8s: token-demo's secret as a projected service-account token for its audience") {
  std::string policy = kExamples + "/token-demo.sbx";
  TempDir dir;
  Run r = exportK8s(policy, dir.path(), {"--allow-lossy"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  json docs = yamlDocuments(dir.path() / "token_demo/k8s/task.yaml");
  json job = documentOfKind(docs, "Job");
  CHECK(job["spec"]["ttlSecondsAfterFinished"] == 0);  // deleting the pod invalidates the bound token
  json pod = job["spec"]["template"]["spec"];
  CHECK(pod["automountServiceAccountToken"] == false);
  CHECK(pod["securityContext"]["fsGroup"] == 65534);
  json container = pod["containers"][0];
  json mount = mountAt(container, "/run/secrets");
  CHECK(mount["readOnly"] == true);
  json projected = volumeNamed(pod, mount["name"])["projected"];
  CHECK(projected["sources"] == json::parse(R"([{"serviceAccountToken":
      {"audience": "demo.local", "expirationSeconds": 600, "path": "demo_token"}}])"));
  CHECK(projected["defaultMode"] == 0440);
  // 300 s raised to Kubernetes' 600 s: no longer than the task's 10-minute timeout.
  CHECK(r.err.find("lost TTL of `demo_token` (300 s): projected tokens last at least 600 s\n") != std::string::npos);
  CHECK(r.err.find("lost scopes of `demo_token` (demo:read)") != std::string::npos);
  json losses = json::parse(readText(dir.path() / "token_demo/loss.json"));
  CHECK(losses["tier"] == 3);
}

TEST_CASE("export k8s: a token that 600 s would let outlive its task is a mandatory loss at T3") {
  TempDir dir;
  writeText(dir.path() / "short.sbx", kShortToken);
  Run refused = exportK8s((dir.path() / "short.sbx").string(), dir.path() / "out");
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("MANDATORY at T3 TTL of `api_key` (120 s): projected tokens last at least 600 s, longer "
                         "than the task's timeout of 300 s") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "out"));
  Run lossy = exportK8s((dir.path() / "short.sbx").string(), dir.path() / "out", {"--allow-lossy"});
  REQUIRE(lossy.exitCode == 0);
  json pod =
      documentOfKind(yamlDocuments(dir.path() / "out/short_token/k8s/task.yaml"), "Job")["spec"]["template"]["spec"];
  json projected = volumeNamed(pod, mountAt(pod["containers"][0], "/var/run/sbx")["name"])["projected"];
  CHECK(projected["sources"][0]["serviceAccountToken"]["path"] == "api_key");
  CHECK(projected["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 600);
}

TEST_CASE("export k8s: a tool's own destinations and token cannot be bound to the tool (T4)") {
  TempDir dir;
  Run refused = exportK8s(kExamples + "/code-review-bot.sbx", dir.path());
  CHECK(refused.exitCode == 1);
  CHECK(refused.err.find("MANDATORY at T4 destination `api.github.com:443` for tool `gh` alone") != std::string::npos);
  CHECK(refused.err.find("MANDATORY at T3 `github_token` for tool `gh` alone") != std::string::npos);
  CHECK(refused.err.find("MANDATORY at T4 the audit log") != std::string::npos);
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("export k8s: a T0 task loses nothing mandatory and exports without --allow-lossy") {
  TempDir dir;
  writeText(dir.path() / "observer.sbx", kObserver);
  Run r = exportK8s((dir.path() / "observer.sbx").string(), dir.path() / "out");
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  json losses = json::parse(readText(dir.path() / "out/observer/loss.json"));
  CHECK(losses["tier"] == 0);
  CHECK_FALSE(anyMandatory(losses));
  bool noexecReported = false;
  for (const auto& l : losses["losses"])
    noexecReported |= l["control"] == "no exec from writable paths" && l["mandatoryFromTier"] == 1;
  CHECK(noexecReported);
}

TEST_CASE("export k8s: --image names the container image, for the k8s target only") {
  std::string policy = kExamples + "/contained.sbx";
  TempDir dir;
  Run r = exportK8s(policy, dir.path(), {"--allow-lossy", "--image", "registry.example/agents/runner:1.4"});
  REQUIRE(r.exitCode == 0);
  json job = documentOfKind(yamlDocuments(dir.path() / "contained/k8s/task.yaml"), "Job");
  CHECK(job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/agents/runner:1.4");
  json installer = documentOfKind(yamlDocuments(dir.path() / "contained/k8s/seccomp-installer.yaml"), "DaemonSet");
  CHECK(installer["spec"]["template"]["spec"]["initContainers"][0]["image"] == "registry.example/agents/runner:1.4");

  TempDir other;
  Run wrongTarget = sbxc({"compile", policy, "--target", "systemd", "--image", "x:1", "-o", other.path().string()});
  CHECK(wrongTarget.exitCode == 3);
  CHECK(wrongTarget.err.find("--image names the container image of --target k8s; the systemd target runs none") !=
        std::string::npos);
  Run blank = exportK8s(policy, other.path(), {"--image", "two words"});
  CHECK(blank.exitCode == 3);
  CHECK(blank.err.find("--image `two words` is not an image reference") != std::string::npos);
  CHECK(fs::is_empty(other.path()));
}
