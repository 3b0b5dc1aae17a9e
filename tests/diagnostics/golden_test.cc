// Golden tests of every diagnostic: each cases/NAME.sbx is checked with sbxc and the exit code
// plus everything printed must equal cases/NAME.expected. A first line
//   # sbxc-args: ARGS...
// replaces the default `check NAME.sbx` ({file} stands for the case's file name).
// Regenerate after an intended change with SBXC_UPDATE_GOLDENS=1, then review the diff.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "diag/diagnostic.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

fs::path casesDir() {
  return sourceDir() / "tests/diagnostics/cases";
}

std::vector<fs::path> cases() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(casesDir()))
    if (entry.is_regular_file() && entry.path().extension() == ".sbx") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> argsFor(const fs::path& file) {
  std::string text = readText(file);
  std::string name = file.filename().string();
  const std::string directive = "# sbxc-args:";
  if (!text.starts_with(directive)) return {"check", name};
  std::istringstream words(text.substr(directive.size(), text.find('\n') - directive.size()));
  std::vector<std::string> args;
  for (std::string w; words >> w;) args.push_back(w == "{file}" ? name : w);
  return args;
}

std::string observe(const fs::path& file) {
  Run r = sbxc(argsFor(file), "", casesDir().string());
  return "exit: " + std::to_string(r.exitCode) + "\n" + r.out + r.err;
}

}  // namespace

TEST_CASE("every diagnostic golden matches") {
  bool update = std::getenv("SBXC_UPDATE_GOLDENS") != nullptr;
  auto all = cases();
  REQUIRE(!all.empty());
  for (const auto& file : all) {
    CAPTURE(file.filename().string());
    fs::path expectedFile = fs::path(file).replace_extension(".expected");
    std::string actual = observe(file);
    if (update) writeText(expectedFile, actual);
    REQUIRE_MESSAGE(fs::exists(expectedFile), "missing golden; run with SBXC_UPDATE_GOLDENS=1");
    CHECK(actual == readText(expectedFile));
  }
}

TEST_CASE("every diagnostic code has a golden") {
  std::string goldens;
  for (const auto& file : filesUnder(casesDir(), ".expected")) goldens += readText(file);
  for (const auto& code : sbx::frontEndCodes()) {
    std::string id = sbx::codeId(code.number);
    CAPTURE(id);
    CHECK(goldens.find("[" + id + "]") != std::string::npos);
  }
}

TEST_CASE("no diagnostic golden shows a crash or raw parser text") {
  for (const auto& file : filesUnder(casesDir(), ".expected")) {
    CAPTURE(file.filename().string());
    std::string text = readText(file);
    CHECK(text.find("internal error") == std::string::npos);
    CHECK(text.find("mismatched input") == std::string::npos);
    CHECK(text.find("extraneous input") == std::string::npos);
    CHECK(text.find("no viable alternative") == std::string::npos);
    CHECK(text.find("token recognition error") == std::string::npos);
  }
}
