// End-to-end tests of the classifier's commands: classify, explain, rules, graph, diff, and lint
// in check (exit codes, SARIF validated by Microsoft's SARIF validator).
#include <doctest/doctest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;
using nlohmann::json;

namespace {

std::string example(const std::string& name) {
  return (sourceDir() / "examples" / name).string();
}

// The SARIF Multitool from npm (@microsoft/sarif-multitool-linux); SARIF_MULTITOOL overrides.
std::string sarifMultitool() {
  if (const char* p = std::getenv("SARIF_MULTITOOL")) return p;
  Run root = run({"/bin/sh", "-c", "npm root -g 2>/dev/null"});
  std::string dir = root.out.substr(0, root.out.find('\n'));
  return dir + "/@microsoft/sarif-multitool-linux/Sarif.Multitool";
}

}  // namespace

TEST_CASE("classify --format json has a tier per task") {
  Run r = sbxc({"classify", "--format", "json", example("multi-agent-pipeline.sbx")});
  REQUIRE(r.exitCode == 0);
  auto j = json::parse(r.out);
  std::map<std::string, int> tiers;
  for (const auto& t : j["tasks"]) tiers[t["task"]] = t["tier"];
  CHECK(tiers == std::map<std::string, int>{
                     {"compile_brief", 4}, {"gather_sources", 3}, {"publish_brief", 4}, {"file_followups", 4}});
  CHECK(j["tasks"][0]["rules"].size() > 0);
  CHECK(j["tasks"][0]["rules"][0]["evidence"][0]["location"]["line"].is_number());
}

TEST_CASE("classify text names the tier and each rule with a location") {
  Run r = sbxc({"classify", example("contained.sbx")});
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("task `contained`: T1 contained") != std::string::npos);
  CHECK(r.out.find("SBX1001 writes-declared-paths") != std::string::npos);
  CHECK(r.out.find("contained.sbx:") != std::string::npos);
}

TEST_CASE("explain documents one rule, by ID or name, in text, JSON and Markdown") {
  Run byId = sbxc({"explain", "SBX1202"}), byName = sbxc({"explain", "wildcard-egress"});
  CHECK(byId.exitCode == 0);
  CHECK(byId.out == byName.out);
  CHECK(byId.out.find("Seed:") != std::string::npos);
  CHECK(byId.out.find("References:") != std::string::npos);
  Run j = sbxc({"explain", "--format", "json", "SBX1102"});
  CHECK(json::parse(j.out)["name"] == "lethal-combination");
  Run unknown = sbxc({"explain", "SBX9999"});
  CHECK(unknown.exitCode == 3);
  CHECK(unknown.err.find("sbxc rules") != std::string::npos);
}

TEST_CASE("every rule has its page in docs/rules, as `explain --format markdown` prints it") {
  Run list = sbxc({"rules", "--format", "json"});
  REQUIRE(list.exitCode == 0);
  auto rules = json::parse(list.out);
  CHECK(rules.size() >= 40);
  for (const auto& r : rules) {
    std::string name = r["name"];
    CAPTURE(name);
    fs::path page = sourceDir() / "docs/rules" / (name + ".md");
    REQUIRE(fs::exists(page));
    CHECK(readText(page) == sbxc({"explain", "--format", "markdown", r["id"]}).out);
  }
}

TEST_CASE("check reports lint findings and fails at the chosen level") {
  TempDir dir;
  fs::path policy = dir.path() / "p.sbx";
  writeText(policy, "task t {\n  connect \"*:443\"\n}\n");
  Run r = sbxc({"check", policy.string()});
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("error[SBX1202]: egress to *:443 reaches any host") != std::string::npos);
  writeText(policy, "task t {\n  write workspace\n}\n");  // only a warning: missing limits
  CHECK(sbxc({"check", policy.string()}).exitCode == 0);
  CHECK(sbxc({"check", "--fail-level", "warning", policy.string()}).exitCode == 1);
}

TEST_CASE("check --format sarif passes Microsoft's SARIF validator") {
  std::string tool = sarifMultitool();
  REQUIRE_MESSAGE(fs::exists(tool), "install @microsoft/sarif-multitool-linux (scripts/install-deps.sh)");
  TempDir dir;
  std::vector<std::string> args{"check", "--format", "sarif"};
  for (const char* sub : {"examples", "tests/classifier/rules"})
    for (const auto& f : filesUnder(sourceDir() / sub, ".sbx")) args.push_back(f.string());
  Run r = sbxc(args, "", sourceDir().string());
  REQUIRE(r.exitCode <= 1);
  auto log = json::parse(r.out);
  CHECK(log["version"] == "2.1.0");
  auto& results = log["runs"][0]["results"];
  CHECK(results.size() > 10);
  bool suppressed = false;
  for (const auto& res : results) suppressed |= res.contains("suppressions");
  CHECK(suppressed);
  fs::path sarif = dir.path() / "sbxc.sarif", verdict = dir.path() / "validation.sarif";
  writeText(sarif, r.out);
  Run v = run({tool, "validate", sarif.string(), "-o", verdict.string()});
  CHECK(v.exitCode == 0);
  CHECK(v.out.find("1 files scanned") != std::string::npos);
  auto findings = json::parse(readText(verdict))["runs"][0]["results"];
  for (const auto& f : findings) {
    CAPTURE(f.dump());
    CHECK(f.value("level", "warning") == "note");
  }
  // The validator gives up silently on a log it cannot deserialize; make sure it does check.
  auto broken = log;
  broken["runs"][0]["tool"]["driver"].erase("version");
  broken["runs"][0]["tool"]["driver"].erase("semanticVersion");
  writeText(sarif, broken.dump());
  fs::remove(verdict);
  run({tool, "validate", sarif.string(), "-o", verdict.string()});
  CHECK(json::parse(readText(verdict))["runs"][0]["results"].size() > 0);
}

TEST_CASE("graph writes DOT with the lethal path in red, and dot renders it") {
  Run r = sbxc({"graph", example("code-review-bot.sbx")});
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.starts_with("digraph authority {"));
  CHECK(r.out.find("color=red") != std::string::npos);
  CHECK(r.out.find("input diff (untrusted, internal)") != std::string::npos);
  TempDir dir;
  fs::path dot = dir.path() / "g.dot";
  CHECK(sbxc({"graph", "-o", dot.string(), example("code-review-bot.sbx")}).exitCode == 0);
  CHECK(readText(dot) == r.out);
  Run svg = run({"/usr/bin/dot", "-Tsvg", dot.string()});
  CHECK(svg.exitCode == 0);
  CHECK(svg.out.find("<svg") != std::string::npos);
}

TEST_CASE("diff shows authority added and removed and the tier change") {
  TempDir dir;
  fs::path before = dir.path() / "old.sbx", after = dir.path() / "new.sbx";
  writeText(before, "task t {\n  read \"/usr\"\n  write workspace\n}\n");
  writeText(after,
            "task t {\n  read \"/usr\"\n  connect \"api.example.com:443\"\n  secret k {\n    source \"vault://k\"\n"
            "    ttl 5m\n    expose file\n  }\n}\n");
  Run r = sbxc({"diff", before.string(), after.string()});
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("task `t`: tier T1 -> T3") != std::string::npos);
  CHECK(r.out.find("- write workspace") != std::string::npos);
  CHECK(r.out.find("+ api.example.com:443") != std::string::npos);
  CHECK(r.out.find("+ secret k from vault://k") != std::string::npos);
  auto j = json::parse(sbxc({"diff", "--format", "json", before.string(), after.string()}).out);
  CHECK(j["tasks"][0]["tier"]["old"] == 1);
  CHECK(j["tasks"][0]["tier"]["new"] == 3);
  CHECK(j["tierRaised"] == true);
  CHECK(sbxc({"diff", before.string(), before.string()}).out == "no change in authority or findings\n");
}

TEST_CASE("explain output of every example matches its golden") {
  // Goldens: tests/classifier/explain/<example>.expected; SBXC_UPDATE_GOLDENS=1 rewrites them.
  bool update = std::getenv("SBXC_UPDATE_GOLDENS") != nullptr;
  for (const auto& file : filesUnder(sourceDir() / "examples", ".sbx")) {
    if (file.parent_path().filename() == "lib") continue;
    std::string relative = fs::relative(file, sourceDir()).string();
    CAPTURE(relative);
    Run r = run({SBXC_BINARY, "explain", relative}, "", sourceDir().string(),
                {"NO_COLOR=1", "SOURCE_DATE_EPOCH=1795305600"});
    REQUIRE(r.exitCode == 0);
    fs::path golden = sourceDir() / "tests/classifier/explain" / (file.stem().string() + ".expected");
    if (update) writeText(golden, r.out);
    REQUIRE(fs::exists(golden));
    CHECK(r.out == readText(golden));
  }
}

TEST_CASE(".pre-commit-hooks.yaml declares the check and fmt hooks, and they run") {
  Run r = run({"/usr/bin/python3", "-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
               (sourceDir() / ".pre-commit-hooks.yaml").string()});
  REQUIRE(r.exitCode == 0);
  auto hooks = json::parse(r.out);
  REQUIRE(hooks.size() == 2);
  for (const auto& h : hooks) {
    CHECK(h["language"] == "system");
    CHECK(h["files"] == "\\.sbx$");
    // The entry, run the way pre-commit runs it: sbxc from PATH, the staged files appended.
    std::string entry = h["entry"];
    CHECK(entry.starts_with("sbxc "));
    std::string command = std::string(SBXC_BINARY) + entry.substr(4) + " " + example("contained.sbx");
    CHECK(run({"/bin/sh", "-c", command}).exitCode == 0);
  }
}
