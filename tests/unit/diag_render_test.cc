// Diagnostics on hostile text (common/diag): "did you mean" distances stay exact where they
// matter and stop early where they cannot, and a snippet shows a window of a long line around
// its span, with the caret still under the offending token.
#include <doctest/doctest.h>

#include <string>

#include "diag/diagnostic.h"
#include "diag/render.h"

namespace {

// The column of the first caret in a rendered snippet, relative to the source text after "| ".
std::size_t caretColumn(const std::string& rendered) {
  std::size_t line = rendered.rfind(" | ");
  std::size_t caret = rendered.find('^', line);
  return caret - (line + 3);
}

std::string sourceLineOf(const std::string& rendered) {
  std::size_t start = rendered.find("1 | ") + 4;
  return rendered.substr(start, rendered.find('\n', start) - start);
}

}  // namespace

TEST_CASE("editDistance: exact below the limit, limit + 1 beyond it") {
  CHECK(sbx::editDistance("kitten", "sitting") == 3);
  CHECK(sbx::editDistance("netwrok", "network") == 1);  // one transposition
  CHECK(sbx::editDistance("NETWORK", "network") == 0);
  CHECK(sbx::editDistance("kitten", "sitting", 2) == 3);
  CHECK(sbx::editDistance("kitten", "sitting", 3) == 3);
  CHECK(sbx::editDistance(std::string(100000, 'a'), std::string(99990, 'b'), 5) == 6);
}

TEST_CASE("closestMatch: the nearest candidate within one typo per three characters") {
  std::vector<std::string> names{"network", "netns", "filesystem"};
  CHECK(sbx::closestMatch("netwrok", names) == "network");
  CHECK(sbx::closestMatch("filesytem", names) == "filesystem");
  CHECK_FALSE(sbx::closestMatch("xyzzy", names).has_value());
  CHECK_FALSE(sbx::closestMatch(std::string(200000, 'n'), names).has_value());
}

TEST_CASE("a snippet of a short line shows the line whole") {
  sbx::SourceManager sources;
  sbx::FileId file = sources.add("p.sbx", "task t { bogus }\n");
  sbx::Diagnostic d = sbx::makeDiagnostic(sbx::Code::UnknownName, sbx::Span{file, 1, 10, 1, 15}, "unknown");
  std::string out = sbx::renderText(d, sources, {});
  CHECK(sourceLineOf(out) == "task t { bogus }");
  CHECK(caretColumn(out) == 9);
  CHECK(out.find("^^^^^ ") == std::string::npos);
  CHECK(out.find("^^^^^") != std::string::npos);
}

TEST_CASE("a snippet of a megabyte-long line shows a window around the span, caret under the token") {
  std::string line = std::string(1 << 20, 'x') + " bogus " + std::string(1 << 20, 'y');
  sbx::SourceManager sources;
  sbx::FileId file = sources.add("p.sbx", line + "\n");
  std::uint32_t col = (1u << 20) + 2;  // "bogus", 1-based
  sbx::Diagnostic d = sbx::makeDiagnostic(sbx::Code::UnknownName, sbx::Span{file, 1, col, 1, col + 5}, "unknown");
  std::string out = sbx::renderText(d, sources, {});
  CHECK(out.size() < 1024);
  std::string shown = sourceLineOf(out);
  CHECK(shown.starts_with("\u2026"));
  CHECK(shown.ends_with("\u2026"));
  // The caret column counts display columns; "…" is one column but three bytes.
  std::size_t bogus = shown.find("bogus");
  REQUIRE(bogus != std::string::npos);
  CHECK(caretColumn(out) == bogus - 2);
  CHECK(out.find("^^^^^") != std::string::npos);
}

TEST_CASE("a hostile line stays escaped inside the window") {
  std::string line = std::string(500, 'x') + "\xE2\x80\xAE evil \x1b[31m";
  sbx::SourceManager sources;
  sbx::FileId file = sources.add("p.sbx", line + "\n");
  sbx::Diagnostic d = sbx::makeDiagnostic(sbx::Code::UnknownName, sbx::Span{file, 1, 503, 1, 507}, "unknown");
  std::string out = sbx::renderText(d, sources, {});
  CHECK(out.find("<U+202E>") != std::string::npos);
  CHECK(out.find("<U+001B>") != std::string::npos);
  CHECK(out.find('\x1b') == std::string::npos);
}
