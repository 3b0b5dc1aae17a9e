// fmt round trip over every example and stdlib module: fmt(fmt(x)) == fmt(x), and the
// formatted text resolves to the same model (compared without source locations).
#include <doctest/doctest.h>

#include "frontend/format.h"
#include "frontend/frontend.h"
#include "model/model_json.h"
#include "support/paths.h"

using namespace sbx;
namespace fs = std::filesystem;

namespace {

std::string formatOnce(const std::string& text) {
  SourceManager sources;
  DiagnosticSink diags;
  FileId id = sources.add("x.sbx", text);
  auto out = frontend::format(id, sources.file(id).text, diags);
  REQUIRE(out);
  return *out;
}

// The model as JSON without origins; loaded as `path` so relative imports resolve alike.
std::string modelOf(const std::string& path, const std::string& text) {
  frontend::Session session;
  auto r = session.loadText(path, text);
  REQUIRE(r.model);
  return model::toJson(*r.model, {}).dump();
}

}  // namespace

TEST_CASE("fmt is idempotent and preserves meaning on every example and stdlib module") {
  std::vector<fs::path> files = test::filesUnder(test::sourceDir() / "examples", ".sbx");
  auto stdlib = test::filesUnder(test::sourceDir() / "stdlib-policies", ".sbx");
  files.insert(files.end(), stdlib.begin(), stdlib.end());
  REQUIRE(files.size() >= 11);
  for (const auto& file : files) {
    CAPTURE(file.string());
    std::string original = test::readText(file);
    std::string once = formatOnce(original);
    CHECK(formatOnce(once) == once);
    if (file.string().find("stdlib-policies") == std::string::npos)
      CHECK(modelOf(file.string(), once) == modelOf(file.string(), original));
    // Every comment survives.
    std::size_t comments = 0, kept = 0;
    for (std::size_t p = original.find('#'); p != std::string::npos; p = original.find('#', p + 1)) ++comments;
    for (std::size_t p = once.find('#'); p != std::string::npos; p = once.find('#', p + 1)) ++kept;
    CHECK(kept == comments);
  }
}

TEST_CASE("fmt layout rules") {
  CHECK(formatOnce("task t{limits{memory 1GiB pids 4}}") ==
        "task t {\n  limits {\n    memory 1GiB\n    pids 4\n  }\n}\n");
  CHECK(formatOnce("import std.syscalls\ntask t { syscalls { allow socket if arg0 in { AF_UNIX , AF_INET } } }") ==
        "import std.syscalls\n\ntask t {\n  syscalls {\n    allow socket if arg0 in {AF_UNIX, AF_INET}\n  }\n}\n");
  CHECK(
      formatOnce("task t {\n  @suppress( wildcard-egress , reason \"cdn\" , until 2027-01-31 ) connect "
                 "\"*.cdn.example:443\"\n}") ==
      "task t {\n  @suppress(wildcard-egress, reason \"cdn\", until 2027-01-31)\n  connect \"*.cdn.example:443\"\n}\n");
  CHECK(formatOnce("# head\ntask a { }\n# about b\ntask b { }\n") == "# head\ntask a {\n}\n\n# about b\ntask b {\n}\n");
  std::string longList = "task t { read ";
  for (int i = 0; i < 12; ++i)
    longList += std::string(i ? ", " : "") + "\"/usr/share/some/long/path" + std::to_string(i) + "\"";
  longList += " }";
  std::string wrapped = formatOnce(longList);
  for (std::size_t start = 0, end; (end = wrapped.find('\n', start)) != std::string::npos; start = end + 1)
    CHECK(end - start <= 100);
  CHECK(formatOnce(wrapped) == wrapped);
}
