// End-to-end tests of the sbxc command line: exit codes, formats, compile output, atomicity.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

std::string example(const std::string& name) {
  return (sourceDir() / "examples" / name).string();
}

const char* kValid = R"(task demo {
  read "/usr"
  write workspace
  timeout 30s
}
)";

}  // namespace

TEST_CASE("--version and --help") {
  Run v = sbxc({"--version"});
  CHECK(v.exitCode == 0);
  CHECK(v.out.starts_with("sbxc "));
  for (std::string cmd : {"check", "fmt", "parse", "compile"}) {
    CAPTURE(cmd);
    Run h = sbxc({cmd, "--help"});
    CHECK(h.exitCode == 0);
    CHECK(h.out.find("Usage: sbxc " + cmd) != std::string::npos);
  }
  CHECK(sbxc({"--help"}).exitCode == 0);
  Run none = sbxc({});
  CHECK(none.exitCode == 3);
}

TEST_CASE("usage errors exit 3 and suggest") {
  Run r = sbxc({"chek", "x.sbx"});
  CHECK(r.exitCode == 3);
  CHECK(r.err.find("did you mean `check`?") != std::string::npos);
  Run o = sbxc({"check", "--fromat", "json", "x.sbx"});
  CHECK(o.exitCode == 3);
  CHECK(o.err.find("did you mean `--format`?") != std::string::npos);
  CHECK(sbxc({"check", "--format", "yaml", "x.sbx"}).exitCode == 3);
  CHECK(sbxc({"check"}).exitCode == 3);
  CHECK(sbxc({"compile", example("contained.sbx")}).exitCode == 3);  // no -o
}

TEST_CASE("check: ok, invalid input, missing file") {
  TempDir dir;
  writeText(dir.path() / "ok.sbx", kValid);
  writeText(dir.path() / "bad.sbx", "task demo {\n  timeout 10\n}\n");
  CHECK(sbxc({"check", (dir.path() / "ok.sbx").string()}).exitCode == 0);
  Run bad = sbxc({"check", (dir.path() / "bad.sbx").string()});
  CHECK(bad.exitCode == 2);
  CHECK(bad.err.find("bad.sbx:2:11: error[SBX0010]") != std::string::npos);
  CHECK(sbxc({"check", (dir.path() / "missing.sbx").string()}).exitCode == 3);
  // stdin
  CHECK(sbxc({"check", "-"}, kValid).exitCode == 0);
}

TEST_CASE("check: fail level decides whether warnings fail") {
  TempDir dir;
  writeText(dir.path() / "warn.sbx", "import std.syscalls\n\ntask demo {\n  read \"/usr\"\n}\n");
  std::string file = (dir.path() / "warn.sbx").string();
  CHECK(sbxc({"check", file}).exitCode == 0);
  CHECK(sbxc({"check", "--fail-level", "warning", file}).exitCode == 1);
  CHECK(sbxc({"check", "--fail-level", "note", file}).exitCode == 1);
}

TEST_CASE("check --format json lists every diagnostic with its location") {
  Run r = sbxc({"check", "--format", "json", "-"}, "task a {\n  timout 1m\n  read \"rel\"\n}\n");
  CHECK(r.exitCode == 2);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["diagnostics"].size() == 2);
  CHECK(j["diagnostics"][0]["id"] == "SBX0011");
  CHECK(j["diagnostics"][0]["location"]["line"] == 2);
  CHECK(j["diagnostics"][0]["help"][0] == "did you mean `timeout`?");
  CHECK(j["diagnostics"][1]["id"] == "SBX0042");
  CHECK(j["summary"]["errors"] == 2);
}

TEST_CASE("colour only when asked or on a terminal, never with NO_COLOR") {
  Run plain = sbxc({"check", "-"}, "task a { timout 1m }\n");
  CHECK(plain.err.find("\x1b[") == std::string::npos);
  Run forced = sbxc({"check", "--color", "always", "-"}, "task a { timout 1m }\n");
  CHECK(forced.err.find("\x1b[") != std::string::npos);
}

TEST_CASE("parse prints the resolved model") {
  Run r = sbxc({"parse", "--format", "json", example("contained.sbx")});
  REQUIRE(r.exitCode == 0);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["tasks"].size() >= 1);
  CHECK(j["tasks"][0]["name"] == "contained");
  CHECK(j["tasks"][0]["timeoutMs"] == 10000);
  CHECK(j["tasks"][0]["limits"]["memoryBytes"] == 256ull << 20);
  CHECK(!j["tasks"][0]["syscalls"]["rules"].empty());
}

TEST_CASE("compile writes one plan per task, deterministically") {
  TempDir a, b;
  for (const auto& file : filesUnder(sourceDir() / "examples", ".sbx")) {
    if (file.parent_path().filename() == "lib") continue;
    CAPTURE(file.string());
    Run r1 = sbxc({"compile", file.string(), "-o", a.path().string()});
    Run r2 = sbxc({"compile", file.string(), "-o", b.path().string()});
    REQUIRE(r1.exitCode == 0);
    REQUIRE(r2.exitCode == 0);
  }
  auto plans = filesUnder(a.path(), ".json");
  std::erase_if(plans, [](const fs::path& p) { return p.filename() != "plan.json"; });
  CHECK(plans.size() >= 10);
  std::size_t artifacts = 0;
  for (const char* extension : {".json", ".bpf", ".pfc"})  // plan.json, report.json, the seccomp artifacts
    for (const auto& artifact : filesUnder(a.path(), extension)) {
      CAPTURE(artifact.string());
      CHECK(readText(artifact) == readText(b.path() / fs::relative(artifact, a.path())));
      ++artifacts;
    }
  CHECK(artifacts == 5 * plans.size());
  for (const auto& plan : plans) {
    CAPTURE(plan.string());
    fs::path twin = b.path() / fs::relative(plan, a.path());
    CHECK(readText(plan) == readText(twin));
    auto j = nlohmann::json::parse(readText(plan));
    CHECK(j["schema"] == "sbxc.plan/v2");
    CHECK(j["task"]["name"] == plan.parent_path().filename().string());
  }
}

TEST_CASE("compile is atomic: an invalid policy leaves the output untouched") {
  TempDir dir;
  fs::path out = dir.path() / "out";
  writeText(dir.path() / "good.sbx", kValid);
  REQUIRE(sbxc({"compile", (dir.path() / "good.sbx").string(), "-o", out.string()}).exitCode == 0);
  std::string before = readText(out / "demo/plan.json");
  // Same task, now broken further down the file: nothing may be written or changed.
  writeText(dir.path() / "good.sbx", std::string(kValid) + "task other {\n  read \"relative\"\n}\n");
  Run r = sbxc({"compile", (dir.path() / "good.sbx").string(), "-o", out.string()});
  CHECK(r.exitCode == 2);
  CHECK(readText(out / "demo/plan.json") == before);
  CHECK(!fs::exists(out / "other"));
  // A fresh output directory is not even created.
  fs::path fresh = dir.path() / "fresh";
  CHECK(sbxc({"compile", (dir.path() / "good.sbx").string(), "-o", fresh.string()}).exitCode == 2);
  CHECK(!fs::exists(fresh));
  for (const auto& entry : fs::recursive_directory_iterator(dir.path()))
    CHECK(entry.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("compile reports an unwritable output directory as an I/O error") {
  TempDir dir;
  writeText(dir.path() / "good.sbx", kValid);
  writeText(dir.path() / "file", "not a directory");
  Run r = sbxc({"compile", (dir.path() / "good.sbx").string(), "-o", (dir.path() / "file").string()});
  CHECK(r.exitCode == 3);
  CHECK(readText(dir.path() / "file") == "not a directory");
}

TEST_CASE("fmt: in place, --check, stdin, and refusal of invalid input") {
  TempDir dir;
  fs::path file = dir.path() / "messy.sbx";
  writeText(file, "task   demo{read \"/usr\",\"/lib\"   # libs\nwrite workspace\n\n\n  timeout 30s}\n");
  CHECK(sbxc({"fmt", "--check", file.string()}).exitCode == 1);
  REQUIRE(sbxc({"fmt", file.string()}).exitCode == 0);
  std::string formatted = readText(file);
  CHECK(formatted == "task demo {\n  read \"/usr\", \"/lib\"  # libs\n  write workspace\n\n  timeout 30s\n}\n");
  CHECK(sbxc({"fmt", "--check", file.string()}).exitCode == 0);
  Run piped = sbxc({"fmt", "-"}, "task demo{read \"/usr\"}\n");
  CHECK(piped.exitCode == 0);
  CHECK(piped.out == "task demo {\n  read \"/usr\"\n}\n");
  fs::path broken = dir.path() / "broken.sbx";
  writeText(broken, "task demo { read }\n");
  CHECK(sbxc({"fmt", broken.string()}).exitCode == 2);
  CHECK(readText(broken) == "task demo { read }\n");
}

TEST_CASE("the repository's own policies are in canonical format") {
  std::vector<std::string> args{"fmt", "--check"};
  for (const char* dir : {"examples", "stdlib-policies"})
    for (const auto& file : filesUnder(sourceDir() / dir, ".sbx")) args.push_back(file.string());
  Run r = sbxc(args);
  CHECK(r.out == "");
  CHECK(r.exitCode == 0);
}
