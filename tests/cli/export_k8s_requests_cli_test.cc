// `sbxc compile --target k8s` with request rules (issue 18 point 6): the CiliumNetworkPolicy of L7
// HTTP rules read back with PyYAML, its path regexes tried on paths with Python's re.fullmatch
// (the syntax used is common to RE2, which Cilium's Envoy uses, and Python), the plain allowlists
// without the rules' host:ports (an L4 allow beside an L7 rule voids it in Cilium), and the loss
// lines for what Cilium cannot say: approval, query constraints, a tool's rules for it alone.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"
#include "support/yaml_documents.h"

namespace fs = std::filesystem;
using namespace sbx::test;
using nlohmann::json;

namespace {

// A tool with rules on a host name (one with a query constraint) and on an address (a `**` and a
// `{name}` pattern, two query constraints), an action that needs approval, and a task-wide network that also opens the
// address's port.
constexpr const char* kMirror = R"(task mirror {
  identity spiffe "spiffe://sbx.local/test/mirror"
  timeout 5m
  read "/usr", "/lib"
  write workspace
  connect "10.0.0.0/8:8443"
  @suppress(bundled-authority, reason "the export of read and approved write rules is under test")
  tool git_http {
    description "git's HTTPS transport"
    exec "/usr/lib/git-core/git-remote-http"
    system "git.example.com" production
    action fetch effect read {
      request GET "https://git.example.com/team/repo.git/info/refs" query "service=git-upload-pack"
      request POST "https://git.example.com/team/repo.git/git-upload-pack"
    }
    action files effect read {
      request GET "https://10.1.2.3:8443/files/**"
      request GET "https://10.1.2.3:8443/items/{id}/raw"
      request GET "https://10.1.2.3:8443/search" query "q", "page=2"
    }
    action push effect write reversible approval {
      request POST "https://git.example.com/team/repo.git/git-receive-pack"
    }
    connect "git.example.com:443", "10.1.2.3:8443"
  }
}
)";

Run exportK8s(const std::string& policy, const fs::path& dir) {
  return sbxc({"compile", policy, "--target", "k8s", "-o", dir.string(), "--allow-lossy"});
}

json namedPolicy(const json& documents, const std::string& name) {
  for (const auto& d : documents)
    if (d["metadata"]["name"] == name) return d;
  FAIL("no policy " << name);
  return {};
}

// Which of `paths` the regular expression matches whole, as Python's re.fullmatch says.
std::vector<bool> fullMatches(const std::string& regex, const std::vector<std::string>& paths) {
  std::vector<std::string> argv{"/usr/bin/python3", "-c",
                                "import re, sys\nfor p in sys.argv[2:]: print(bool(re.fullmatch(sys.argv[1], p)))",
                                regex};
  argv.insert(argv.end(), paths.begin(), paths.end());
  Run r = run(argv);
  REQUIRE(r.exitCode == 0);
  std::vector<bool> out;
  for (std::size_t at = 0; at < r.out.size();) {
    auto end = r.out.find('\n', at);
    out.push_back(r.out.substr(at, end - at) == "True");
    at = end + 1;
  }
  return out;
}

bool hasLoss(const std::string& report, const std::string& line) {
  return report.find(line) != std::string::npos;
}

}  // namespace

TEST_CASE("export k8s: the example's request rules as Cilium L7 HTTP rules, the approved action left out") {
  TempDir dir;
  Run r = exportK8s((sourceDir() / "examples/request-rules.sbx").string(), dir.path());
  REQUIRE(r.exitCode == 0);
  json docs = yamlDocuments(dir.path() / "request_rules/k8s/task.yaml");
  // The address rule of 127.0.0.1:18443 is the L7 policy's alone.
  CHECK(documentOfKind(docs, "NetworkPolicy")["spec"]["egress"] == json::array());
  json egress = namedPolicy(docs, "sbx-request-rules-requests")["spec"]["egress"];
  REQUIRE(egress.size() == 1);
  CHECK(egress[0]["toCIDRSet"] == json::parse(R"([{"cidr": "127.0.0.1/32"}])"));
  json to = egress[0]["toPorts"][0];
  CHECK(to["ports"] == json::parse(R"([{"port": "18443", "protocol": "TCP"}])"));
  CHECK(to["terminatingTLS"]["secret"]["name"] == "sbx-request-rules-tls-intercept");
  CHECK(to["originatingTLS"]["secret"]["name"] == "sbx-request-rules-tls-upstream");
  CHECK(to["rules"]["http"] == json::parse(R"([
    {"method": "GET", "path": "/api/items(\\?.*)?", "host": "127\\.0\\.0\\.1(:18443)?"},
    {"method": "PATCH", "path": "/api/items/[^/?]+/labels(\\?.*)?", "host": "127\\.0\\.0\\.1(:18443)?"}])"));
  CHECK(fullMatches(to["rules"]["http"][1]["path"],
                    {"/api/items/7/labels", "/api/items/7/labels?x=1", "/api/items//labels", "/api/items/7/8/labels",
                     "/api/items/7/labelsX"}) == std::vector<bool>{true, true, false, false, false});
  std::string report = readText(dir.path() / "request_rules/loss.txt");
  CHECK(hasLoss(report,
                "lost the approval of each request of action `close` of tool `api`: Cilium cannot hold a "
                "request for a person: the action's requests are left out of the L7 rules"));
  CHECK(hasLoss(report, "lost `api_token` injected into tool `api`'s requests as Authorization"));
  CHECK(hasLoss(report, "lost the request rules of tool `api` for it alone"));
  CHECK_FALSE(hasLoss(report, "not written yet"));
  std::string readme = readText(dir.path() / "request_rules/k8s/README.txt");
  CHECK(hasLoss(readme,
                "sbx-request-rules-tls-intercept: a tls secret (tls.crt, tls.key) signed by that CA for "
                "127.0.0.1"));
}

TEST_CASE("export k8s: request rules on a host name and an address, with queries, `**` and an overlapping network") {
  TempDir dir;
  writeText(dir.path() / "mirror.sbx", kMirror);
  Run r = exportK8s((dir.path() / "mirror.sbx").string(), dir.path() / "out");
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  json docs = yamlDocuments(dir.path() / "out/mirror/k8s/task.yaml");
  // The FQDN policy still lets the name be looked up, but leaves its port to the L7 policy.
  json fqdn = namedPolicy(docs, "sbx-mirror-fqdn")["spec"]["egress"];
  CHECK(fqdn.size() == 1);
  CHECK(fqdn[0]["toPorts"][0]["rules"]["dns"] == json::parse(R"([{"matchName": "git.example.com"}])"));
  json egress = namedPolicy(docs, "sbx-mirror-requests")["spec"]["egress"];
  REQUIRE(egress.size() == 2);
  CHECK(egress[0]["toFQDNs"] == json::parse(R"([{"matchName": "git.example.com"}])"));
  json git = egress[0]["toPorts"][0]["rules"]["http"];
  // The push needs approval: no rule for it, so Cilium refuses it.
  REQUIRE(git.size() == 2);
  CHECK(git[0]["method"] == "GET");
  // The query constraint is in the regex: the push's first request does not match it.
  CHECK(
      fullMatches(git[0]["path"], {"/team/repo.git/info/refs?service=git-upload-pack",
                                   "/team/repo.git/info/refs?x=1&service=git-upload-pack&y",
                                   "/team/repo.git/info/refs?service=git-receive-pack", "/team/repo.git/info/refs",
                                   "/team/repo.git/info/refs?xservice=git-upload-pack",
                                   "/team/repo.git/info/refs?service=git-upload-packs", "/team/repoXgit/info/refs"}) ==
      std::vector<bool>{true, true, false, false, false, false, false});
  CHECK(git[1]["method"] == "POST");
  json files = egress[1]["toPorts"][0]["rules"]["http"];
  CHECK(egress[1]["toCIDRSet"] == json::parse(R"([{"cidr": "10.1.2.3/32"}])"));
  CHECK(fullMatches(files[0]["path"], {"/files", "/files/", "/files/a/b.txt", "/files/a?b=c", "/filesX", "/other"}) ==
        std::vector<bool>{true, true, true, true, false, false});
  // Two constraints, in either order, a name alone with or without a value.
  CHECK(fullMatches(files[2]["path"], {"/search?q=x&page=2", "/search?page=2&q", "/search?a&page=2&b&q=&c",
                                       "/search?page=2", "/search?q=x&page=3", "/search"}) ==
        std::vector<bool>{true, true, true, false, false, false});
  CHECK(fullMatches(files[1]["host"], {"10.1.2.3", "10.1.2.3:8443", "10.1.2.34", "10x1.2.3"}) ==
        std::vector<bool>{true, true, false, false});
  // 10.0.0.0/8:8443 keeps its address rule (it is no rule's host:port), and the report says that
  // it opens 10.1.2.3:8443 past the L7 rules.
  json network = documentOfKind(docs, "NetworkPolicy")["spec"]["egress"];
  REQUIRE(network.size() == 1);
  CHECK(network[0]["to"][0]["ipBlock"]["cidr"] == "10.0.0.0/8");
  std::string report = readText(dir.path() / "out/mirror/loss.txt");
  CHECK(hasLoss(report, "lost the request rules behind destination `10.0.0.0/8:8443`"));
  CHECK(hasLoss(report,
                "lost the query constraints of action `fetch` of tool `git_http` (query "
                "\"service=git-upload-pack\"): Cilium matches them in the query as the client wrote it"));
  CHECK(hasLoss(report, "lost the approval of each request of action `push` of tool `git_http`"));
}

TEST_CASE("export: the targets without an inspecting proxy report each action's request rules as lost") {
  TempDir dir;
  Run r = sbxc({"compile", (sourceDir() / "examples/request-rules.sbx").string(), "--target", "systemd", "-o",
                dir.path().string(), "--allow-lossy"});
  REQUIRE(r.exitCode == 0);
  std::string report = readText(dir.path() / "request_rules/loss.txt");
  for (const char* action : {"list", "label", "close"})
    CHECK(hasLoss(report, std::string("lost the 1 request rule(s) of action `") + action +
                              "` of tool `api`: systemd has "
                              "no proxy that reads requests"));
  CHECK(hasLoss(report, "lost the approval of each request of action `close` of tool `api`: systemd holds no request"));
}
