// The hand-written lexer must agree token for token with the one ANTLR generates from
// grammar/SbxLexer.g4 (plus the keyword table): same types, texts, positions and channels.
#include <doctest/doctest.h>

#include <random>

#include "SbxLexer.h"
#include "antlr4-runtime.h"
#include "frontend/keywords.h"
#include "frontend/lexer.h"
#include "frontend/text_check.h"
#include "support/paths.h"

using namespace sbx;
namespace fs = std::filesystem;

namespace {

std::string describe(antlr4::Token& t) {
  return std::to_string(t.getType()) + " ch" + std::to_string(t.getChannel()) + " " + std::to_string(t.getLine()) +
         ":" + std::to_string(t.getCharPositionInLine()) + " [" + std::to_string(t.getStartIndex()) + "," +
         std::to_string(static_cast<long long>(t.getStopIndex())) + "] '" + t.getText() + "'";
}

std::vector<std::string> generated(const std::string& text) {
  antlr4::ANTLRInputStream input(text);
  grammar::SbxLexer lexer(&input);
  lexer.removeErrorListeners();
  std::vector<std::string> out;
  for (;;) {
    auto t = lexer.nextToken();
    if (t->getType() == grammar::SbxLexer::IDENT)
      if (auto k = frontend::keywordType(t->getText())) dynamic_cast<antlr4::CommonToken&>(*t).setType(*k);
    if (t->getType() == antlr4::Token::EOF) {
      out.push_back("EOF " + std::to_string(t->getLine()) + ":" + std::to_string(t->getCharPositionInLine()));
      break;
    }
    out.push_back(describe(*t));
  }
  return out;
}

std::vector<std::string> handWritten(const std::string& text) {
  frontend::Lexer lexer(text);
  std::vector<std::string> out;
  for (;;) {
    auto t = lexer.nextToken();
    if (t->getType() == antlr4::Token::EOF) {
      out.push_back("EOF " + std::to_string(t->getLine()) + ":" + std::to_string(t->getCharPositionInLine()));
      break;
    }
    out.push_back(describe(*t));
  }
  return out;
}

void agree(std::string text) {
  // ANTLRInputStream drops a leading byte-order mark; sbxc reports it as an invisible character.
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  auto expected = generated(text);
  auto actual = handWritten(text);
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CAPTURE(i);
    REQUIRE(actual[i] == expected[i]);
  }
}

}  // namespace

TEST_CASE("the lexer agrees with the grammar on every policy in the repository") {
  std::vector<fs::path> files;
  for (const char* dir : {"examples", "stdlib-policies", "tests/diagnostics/cases"}) {
    if (!fs::exists(test::sourceDir() / dir)) continue;
    auto more = test::filesUnder(test::sourceDir() / dir, ".sbx");
    files.insert(files.end(), more.begin(), more.end());
  }
  REQUIRE(files.size() >= 11);
  for (const auto& file : files) {
    CAPTURE(file.string());
    std::string text = test::readText(file);
    // Only text that passes the UTF-8 check reaches the lexer.
    DiagnosticSink ignored;
    if (frontend::checkText(0, text, ignored).lexable) agree(text);
  }
}

TEST_CASE("the lexer agrees with the grammar on tricky inputs") {
  for (const char* text :
       {"0x1f 0x1fm 0xg 0o78 0b102 12ab3 1.5GiB 1.5 1. 10.x 2027-01-31 2027-01-3 2027-01-31x",
        "a-b a- -a a--b a_b _x foreign-arch foreign-archx import imports",
        "\"abc\" \"a\\\"b\" \"unterminated\n\"a\\\nb\" \"x\\", "== != = ! <= >= < > & | @ . : , { } ( )",
        "# comment \xc3\xa9\r\n\rtask\t\t x", "\"\xe2\x82\xac\" \xe2\x82\xac ~ ; $", "", "\n\n"}) {
    CAPTURE(text);
    agree(text);
  }
}

TEST_CASE("the lexer agrees with the grammar on random token soup") {
  const std::vector<std::string> pieces = {
      "task", " ", "\n", "\"s\"", "\"", "\\", "0x",         "1",  "9",      "a",  "-",  "_",  ".", "5",  "GiB", "m",
      "#",    "{", "}",  "=",     "!",  "<",  "2027-01-01", "\r", "import", "0o", "0b", "ab", "@", "\t", "x-",  "é"};
  std::mt19937 random(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    std::size_t n = random() % 30;
    for (std::size_t i = 0; i < n; ++i) text += pieces[random() % pieces.size()];
    CAPTURE(text);
    agree(text);
  }
}
