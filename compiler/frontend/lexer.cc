#include "frontend/lexer.h"

#include "SbxLexer.h"
#include "frontend/keywords.h"

namespace sbx::frontend {

using L = grammar::SbxLexer;

namespace {

bool isDigit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool isLetter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isHex(char32_t c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isIdentPart(char32_t c) {
  return isLetter(c) || isDigit(c) || c == '_';
}

}  // namespace

Lexer::Lexer(std::string_view utf8) : utf8_(utf8), factory_(antlr4::CommonTokenFactory::DEFAULT.get()) {
  text_.resize(utf8.size());  // an upper bound: written in place, then cut to size
  byteOffset_.resize(utf8.size() + 1);
  std::size_t n = 0;
  for (std::size_t i = 0; i < utf8.size(); ++n) {
    unsigned char b = static_cast<unsigned char>(utf8[i]);
    std::size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    char32_t c = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len && i + k < utf8.size(); ++k)
      c = (c << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    byteOffset_[n] = i;
    text_[n] = c;
    i += len;
  }
  byteOffset_[n] = utf8.size();
  text_.resize(n);
  byteOffset_.resize(n + 1);
}

std::size_t Lexer::matchDate() const {  // DIGIT{4} '-' DIGIT{2} '-' DIGIT{2}
  static constexpr char kShape[] = "dddd-dd-dd";
  for (std::size_t i = 0; i < 10; ++i) {
    char32_t c = at(pos_ + i);
    if (kShape[i] == 'd' ? !isDigit(c) : c != '-') return 0;
  }
  return 10;
}

std::size_t Lexer::matchInt() const {  // '0x' HEX+ | '0o' [0-7]+ | '0b' [01]+ | DIGIT+
  std::size_t best = 0, i = pos_;
  while (isDigit(at(i))) ++i;
  best = i - pos_;
  if (at(pos_) == '0') {
    char32_t kind = at(pos_ + 1);
    auto prefixed = [&](auto accept) {
      std::size_t j = pos_ + 2;
      while (accept(at(j))) ++j;
      return j > pos_ + 2 ? j - pos_ : 0;
    };
    if (kind == 'x') best = std::max(best, prefixed(isHex));
    if (kind == 'o') best = std::max(best, prefixed([](char32_t c) { return c >= '0' && c <= '7'; }));
    if (kind == 'b') best = std::max(best, prefixed([](char32_t c) { return c == '0' || c == '1'; }));
  }
  return best;
}

std::size_t Lexer::matchQuantity() const {  // DIGIT+ ('.' DIGIT+)? LETTER+ (DIGIT+ LETTER+)*
  std::size_t i = pos_;
  while (isDigit(at(i))) ++i;
  if (i == pos_) return 0;
  if (at(i) == '.' && isDigit(at(i + 1))) {
    std::size_t j = i + 1;
    while (isDigit(at(j))) ++j;
    if (isLetter(at(j)))
      i = j;
    else
      return 0;
  }
  if (!isLetter(at(i))) return 0;
  while (isLetter(at(i))) ++i;
  std::size_t accepted = i;
  for (;;) {  // (DIGIT+ LETTER+)*: each repetition must complete to count
    std::size_t j = accepted;
    while (isDigit(at(j))) ++j;
    if (j == accepted || !isLetter(at(j))) break;
    while (isLetter(at(j))) ++j;
    accepted = j;
  }
  return accepted - pos_;
}

// '"' (~["\\\r\n] | '\\' .)* '"', or the same without the closing quote (UNTERMINATED_STRING).
std::size_t Lexer::matchString(bool& closed) const {
  std::size_t i = pos_ + 1;
  closed = false;
  while (i < text_.size()) {
    char32_t c = text_[i];
    if (c == '"') {
      closed = true;
      return i + 1 - pos_;
    }
    if (c == '\\') {
      if (i + 1 >= text_.size()) break;  // '\\' . needs a character
      i += 2;
      continue;
    }
    if (c == '\r' || c == '\n') break;
    ++i;
  }
  return i - pos_;
}

std::size_t Lexer::matchIdent() const {  // (LETTER|'_') (LETTER|DIGIT|'_'|'-' (LETTER|DIGIT|'_'))*
  if (!(isLetter(at(pos_)) || at(pos_) == '_')) return 0;
  std::size_t i = pos_ + 1;
  for (;;) {
    if (isIdentPart(at(i)))
      ++i;
    else if (at(i) == '-' && isIdentPart(at(i + 1)))
      i += 2;
    else
      break;
  }
  return i - pos_;
}

std::size_t Lexer::tokenType(std::size_t& length) const {
  char32_t c = text_[pos_];
  auto one = [&](std::size_t type) {
    length = 1;
    return type;
  };
  auto two = [&](char32_t second, std::size_t pair, std::size_t single) {
    if (at(pos_ + 1) == second) {
      length = 2;
      return pair;
    }
    length = 1;
    return single;
  };
  switch (c) {
    case '{':
      return one(L::LBRACE);
    case '}':
      return one(L::RBRACE);
    case '(':
      return one(L::LPAREN);
    case ')':
      return one(L::RPAREN);
    case ',':
      return one(L::COMMA);
    case '.':
      return one(L::DOT);
    case ':':
      return one(L::COLON);
    case '@':
      return one(L::AT_SIGN);
    case '&':
      return one(L::AMP);
    case '|':
      return one(L::PIPE);
    case '=':
      return two('=', L::EQ, L::ASSIGN);
    case '!':
      return two('=', L::NE, L::ERROR_CHAR);
    case '<':
      return two('=', L::LE, L::LT);
    case '>':
      return two('=', L::GE, L::GT);
    case '#': {
      std::size_t i = pos_;
      while (i < text_.size() && text_[i] != '\r' && text_[i] != '\n') ++i;
      length = i - pos_;
      return L::COMMENT;
    }
    case '\n':
      return one(L::NEWLINE);
    case '\r':
      return two('\n', L::NEWLINE, L::NEWLINE);
    case ' ':
    case '\t': {
      std::size_t i = pos_;
      while (at(i) == ' ' || at(i) == '\t') ++i;
      length = i - pos_;
      return L::WS;
    }
    case '"': {
      bool closed = false;
      length = matchString(closed);
      return closed ? L::STRING : L::UNTERMINATED_STRING;
    }
    default:
      break;
  }
  if (isDigit(c)) {
    // Longest of DATE, INT, QUANTITY; on a tie the rule declared first (in that order) wins.
    std::size_t date = matchDate(), integer = matchInt(), quantity = matchQuantity();
    length = std::max({date, integer, quantity});
    return length == date ? L::DATE : length == integer ? L::INT : L::QUANTITY;
  }
  if (std::size_t ident = matchIdent()) {
    length = ident;
    return L::IDENT;
  }
  return one(L::ERROR_CHAR);
}

std::unique_ptr<antlr4::Token> Lexer::nextToken() {
  std::pair<antlr4::TokenSource*, antlr4::CharStream*> source(this, nullptr);
  if (pos_ >= text_.size()) {
    auto eof = std::make_unique<antlr4::CommonToken>(source, antlr4::Token::EOF, antlr4::Token::DEFAULT_CHANNEL, pos_,
                                                     pos_ - 1);
    eof->setText("<EOF>");
    eof->setLine(line_);
    eof->setCharPositionInLine(column_);
    return eof;
  }
  std::size_t length = 0;
  std::size_t type = tokenType(length);
  std::size_t channel = type == L::COMMENT || type == L::NEWLINE || type == L::WS ? antlr4::Token::HIDDEN_CHANNEL
                                                                                  : antlr4::Token::DEFAULT_CHANNEL;
  std::string text(utf8_.substr(byteOffset_[pos_], byteOffset_[pos_ + length] - byteOffset_[pos_]));
  if (type == L::IDENT)
    if (auto keyword = keywordType(text)) type = *keyword;
  auto token = std::make_unique<antlr4::CommonToken>(source, type, channel, pos_, pos_ + length - 1);
  token->setLine(line_);
  token->setCharPositionInLine(column_);
  token->setText(text);
  for (std::size_t i = pos_; i < pos_ + length; ++i) {
    if (text_[i] == '\n') {
      ++line_;
      column_ = 0;
    } else {
      ++column_;
    }
  }
  pos_ += length;
  return token;
}

}  // namespace sbx::frontend
