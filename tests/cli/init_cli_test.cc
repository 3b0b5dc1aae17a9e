// `sbxc init` (issue 19, point 4): the templates listed with their summaries; each written, then
// checked clean and its tests passing, as a user would run them; nothing ever overwritten; an
// unknown name answered with a did-you-mean. (Each template starting under sbx-run:
// tests/examples/init_launch_test.py.)
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

// templates/ as data: NAME -> its policy's first line without "# ". Every file there is a
// template's policy or tests, each with the other, or the CMake file that embeds them.
std::map<std::string, std::string> templatesInSource() {
  std::map<std::string, std::string> summaries;
  std::set<std::string> tests;
  for (const auto& entry : fs::directory_iterator(sourceDir() / "templates")) {
    fs::path p = entry.path();
    if (p.filename() == "CMakeLists.txt") continue;
    if (p.extension() == ".sbxtest") {
      tests.insert(p.stem().string());
      continue;
    }
    REQUIRE_MESSAGE(p.extension() == ".sbx", p.string() << " is neither a template's policy nor its tests");
    std::string text = readText(p);
    std::string first = text.substr(0, text.find('\n'));
    REQUIRE_MESSAGE(first.starts_with("# "), p.string() << " must start with `# ` and its one-line summary");
    summaries[p.stem().string()] = first.substr(2);
  }
  for (const auto& [name, summary] : summaries) CHECK_MESSAGE(tests.contains(name), name << ".sbxtest is missing");
  for (const auto& name : tests) CHECK_MESSAGE(summaries.contains(name), name << ".sbx is missing");
  return summaries;
}

std::set<std::string> entriesOf(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("init: --list shows every template with its one-line summary, by name") {
  auto templates = templatesInSource();
  // The common agent tasks of issue 19.
  CHECK(templates.size() == 4);
  for (const char* name : {"coding-agent", "web-research", "ticket-assistant", "data-notebook"})
    CHECK_MESSAGE(templates.contains(name), name);
  Run r = sbxc({"init", "--list"});
  CHECK(r.exitCode == 0);
  CHECK(r.err.empty());
  std::size_t width = 0;
  for (const auto& [name, summary] : templates) width = std::max(width, name.size());
  std::string expected;
  for (const auto& [name, summary] : templates)
    expected += name + std::string(width - name.size() + 2, ' ') + summary + "\n";
  CHECK(r.out == expected);
}

TEST_CASE("init: each template is written as it is in templates/, checks clean and passes its tests") {
  for (const auto& [name, summary] : templatesInSource()) {
    CAPTURE(name);
    TempDir tmp;
    fs::path dir = tmp.path() / "new" / "policies";  // missing: created, with its parent
    Run r = sbxc({"init", name, dir.string()});
    REQUIRE(r.exitCode == 0);
    fs::path policy = dir / (name + ".sbx"), tests = dir / (name + ".sbxtest");
    CHECK(r.out.starts_with("wrote " + policy.string() + "\nwrote " + tests.string() + "\n"));
    CHECK(entriesOf(dir) == std::set<std::string>{name + ".sbx", name + ".sbxtest"});
    CHECK(readText(policy) == readText(sourceDir() / "templates" / (name + ".sbx")));
    CHECK(readText(tests) == readText(sourceDir() / "templates" / (name + ".sbxtest")));
    // Clean: not even a note.
    Run check = sbxc({"check", "--fail-level", "note", policy.string()});
    CHECK(check.exitCode == 0);
    CHECK(check.out.empty());
    CHECK(check.err.empty());
    Run fmt = sbxc({"fmt", "--check", policy.string()});
    CHECK(fmt.exitCode == 0);
    // Its tests, run where it was written, as the comment at the top of the policy says.
    Run test = sbxc({"test", name + ".sbxtest"}, "", dir.string());
    CHECK(test.exitCode == 0);
    CHECK(test.out.find(" passed, 0 failed\n") != std::string::npos);
    CHECK(test.out.find("FAIL") == std::string::npos);
    CHECK(test.out.find("PASS " + name + ".sbxtest:") != std::string::npos);
  }
}

TEST_CASE("init: DIR defaults to the current directory") {
  TempDir tmp;
  Run r = sbxc({"init", "data-notebook"}, "", tmp.path().string());
  CHECK(r.exitCode == 0);
  CHECK(r.out.starts_with("wrote ./data-notebook.sbx\nwrote ./data-notebook.sbxtest\n"));
  CHECK(entriesOf(tmp.path()) == std::set<std::string>{"data-notebook.sbx", "data-notebook.sbxtest"});
}

TEST_CASE("init: an existing file is never overwritten, and then nothing is written") {
  TempDir tmp;
  fs::path dir = tmp.path();
  REQUIRE(sbxc({"init", "coding-agent", dir.string()}).exitCode == 0);
  writeText(dir / "coding-agent.sbx", "# mine\n");
  Run again = sbxc({"init", "coding-agent", dir.string()});
  CHECK(again.exitCode == 3);
  CHECK(again.out.empty());
  CHECK(again.err == "sbxc init: `" + (dir / "coding-agent.sbx").string() +
                         "` already exists; sbxc init never overwrites a file: give another directory, or move the "
                         "file away\n");
  CHECK(readText(dir / "coding-agent.sbx") == "# mine\n");

  // Only the tests exist (the user's own): the policy is not written either.
  writeText(dir / "web-research.sbxtest", "task mine\n");
  Run tests = sbxc({"init", "web-research", dir.string()});
  CHECK(tests.exitCode == 3);
  CHECK(tests.err.find("`" + (dir / "web-research.sbxtest").string() + "` already exists") != std::string::npos);
  CHECK(readText(dir / "web-research.sbxtest") == "task mine\n");

  // A link at the name, even one to nothing, is an existing file: not followed, not replaced.
  fs::create_symlink(dir / "elsewhere.sbx", dir / "ticket-assistant.sbx");
  Run link = sbxc({"init", "ticket-assistant", dir.string()});
  CHECK(link.exitCode == 3);
  CHECK(link.err.find("`" + (dir / "ticket-assistant.sbx").string() + "` already exists") != std::string::npos);
  CHECK(entriesOf(dir) == std::set<std::string>{"coding-agent.sbx", "coding-agent.sbxtest", "web-research.sbxtest",
                                                "ticket-assistant.sbx"});

  // DIR itself must be a directory.
  Run file = sbxc({"init", "data-notebook", (dir / "coding-agent.sbx").string()});
  CHECK(file.exitCode == 3);
  CHECK(file.err.find("is not a directory") != std::string::npos);
}

TEST_CASE("init: an unknown template gets a did-you-mean and writes nothing") {
  TempDir tmp;
  Run r = sbxc({"init", "codng-agent"}, "", tmp.path().string());
  CHECK(r.exitCode == 3);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "sbxc init: unknown template `codng-agent`; did you mean `coding-agent`?\n"
        "Run `sbxc init --list` for the templates.\n");
  Run far = sbxc({"init", "kubernetes"}, "", tmp.path().string());
  CHECK(far.exitCode == 3);
  CHECK(far.err == "sbxc init: unknown template `kubernetes`\nRun `sbxc init --list` for the templates.\n");
  CHECK(fs::is_empty(tmp.path()));
}

TEST_CASE("init: usage errors") {
  TempDir tmp;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"init"}, {"init", "--list", "coding-agent"}, {"init", "coding-agent", "a", "b"}, {"init", "--lst"}}) {
    CAPTURE(args.back());
    Run r = sbxc(args, "", tmp.path().string());
    CHECK(r.exitCode == 3);
    CHECK(r.err.starts_with("sbxc init: "));
    CHECK(r.err.ends_with("Run `sbxc init --help` for usage.\n"));
  }
  CHECK(fs::is_empty(tmp.path()));
}
