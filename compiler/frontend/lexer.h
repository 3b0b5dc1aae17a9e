// The lexer that feeds ANTLR's generated parser. It implements grammar/SbxLexer.g4 exactly
// (longest match, ties to the earlier rule, keywords as in keywords.def) by hand: the generated
// C++ lexer takes a lock and several allocations per character, which made lexing most of the
// cost of `sbxc check`. tests/unit/lexer_test.cc checks both produce identical token streams.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "antlr4-runtime.h"

namespace sbx::frontend {

class Lexer : public antlr4::TokenSource {
 public:
  explicit Lexer(std::string_view utf8);  // valid UTF-8 (checked by text_check.h first)

  std::unique_ptr<antlr4::Token> nextToken() override;
  size_t getLine() const override { return line_; }
  size_t getCharPositionInLine() override { return column_; }
  antlr4::CharStream* getInputStream() override { return nullptr; }
  std::string getSourceName() override { return "sbx"; }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override { return factory_; }

 private:
  std::size_t tokenType(std::size_t& length) const;  // at pos_, in code points
  std::size_t matchDate() const;
  std::size_t matchInt() const;
  std::size_t matchQuantity() const;
  std::size_t matchString(bool& closed) const;
  std::size_t matchIdent() const;
  char32_t at(std::size_t i) const { return i < text_.size() ? text_[i] : 0; }

  std::u32string text_;                  // code points
  std::vector<std::size_t> byteOffset_;  // byte offset of each code point, plus the end
  std::string_view utf8_;
  std::size_t pos_ = 0, line_ = 1, column_ = 0;
  antlr4::TokenFactory<antlr4::CommonToken>* factory_;
};

}  // namespace sbx::frontend
