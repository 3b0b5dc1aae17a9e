// The table of controls a target can lose (common/tables/controls.def): docs/exporters.md
// shows it row for row, and its tiers decide which exports are refused.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

std::string targets(std::string_view lostBy) {
  std::istringstream words{std::string(lostBy)};
  std::string out, word;
  while (words >> word) out += (out.empty() ? "`" : ", `") + word + "`";
  return out;
}

std::string tierName(std::string_view tier) {
  return tier == "Never" ? "never" : std::string(tier);
}

std::vector<std::string> tableRows() {
  return {
#define SBX_CONTROL(name, tier, lostBy, summary) \
  "| `" #name "` | " + tierName(#tier) + " | " + targets(lostBy) + " | " + summary + " |",
#include "tables/controls.def"
#undef SBX_CONTROL
  };
}

// The rows of the docs' table under its heading, up to the first line that is not a row.
std::vector<std::string> documentedRows() {
  std::istringstream docs(readText(sourceDir() / "docs/exporters.md"));
  std::string line;
  while (std::getline(docs, line) && line != "## The controls a target can lose") {
  }
  std::vector<std::string> rows;
  bool inTable = false;
  while (std::getline(docs, line)) {
    if (line.starts_with("| `"))
      rows.push_back(line);
    else if (inTable && !line.starts_with("|"))
      break;
    inTable |= line.starts_with("|");
  }
  return rows;
}

}  // namespace

TEST_CASE("export controls: docs/exporters.md shows controls.def row for row") {
  CHECK(documentedRows() == tableRows());
}

// TIERS.md, T3: "just-in-time tokens (scoped per tool, ...)". Vault reported losing it as never
// mandatory while systemd and k8s refused it from T3.
TEST_CASE("export controls: a token for one tool alone is mandatory from T3 for vault as for the others") {
  const std::string demo = (sourceDir() / "examples/tool-token-demo.sbx").string();
  for (std::string target : {"vault", "k8s", "systemd"}) {
    CAPTURE(target);
    TempDir dir;
    Run refused = sbxc({"compile", demo, "--target", target, "-o", dir.path().string()});
    CHECK(refused.exitCode == 1);
    CHECK(refused.err.find("MANDATORY at T3 `show_token` for tool `show` alone") != std::string::npos);
    CHECK(!fs::exists(dir.path() / "tool_token_demo"));
  }
}
