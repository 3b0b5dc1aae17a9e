// Runs the ANTLR parser with sbxc's error handling: the lexer's error tokens are repaired and
// reported first (LexicalRepair), then syntax errors are reported once per statement, in words
// (ErrorStrategy), and parsing resumes at the next statement.
#include "frontend/parse.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "SbxLexer.h"
#include "SbxParser.h"
#include "antlr4-runtime.h"
#include "frontend/keywords.h"
#include "frontend/lexer.h"
#include "frontend/text_check.h"

namespace sbx::frontend {

using grammar::SbxLexer;
using grammar::SbxParser;

namespace {

std::string literalName(const antlr4::dfa::Vocabulary& vocabulary, std::size_t type) {
  if (isKeyword(type)) return std::string(keywordSpelling(type));
  std::string literal = vocabulary.getLiteralName(type);
  if (literal.size() >= 2 && literal.front() == '\'') return literal.substr(1, literal.size() - 2);
  return literal;
}

std::string describeTokenType(const antlr4::dfa::Vocabulary& vocabulary, std::size_t type) {
  switch (type) {
    case antlr4::Token::EOF:
      return "end of file";
    case SbxLexer::STRING:
      return "a string";
    case SbxLexer::QUANTITY:
      return "a duration or size (e.g. 10m, 512MiB)";
    case SbxLexer::INT:
      return "a number";
    case SbxLexer::IDENT:
      return "a name";
    case SbxLexer::DATE:
      return "a date (YYYY-MM-DD)";
    default:
      return fmt::format("`{}`", literalName(vocabulary, type));
  }
}

std::string describeToken(const antlr4::Token* token) {
  if (token->getType() == antlr4::Token::EOF) return "end of file";
  return fmt::format("`{}`", token->getText());
}

// What kind of statement the parser expects in the innermost block.
std::string statementKind(antlr4::ParserRuleContext* ctx) {
  for (; ctx != nullptr; ctx = dynamic_cast<antlr4::ParserRuleContext*>(ctx->parent)) {
    if (dynamic_cast<SbxParser::ToolDeclContext*>(ctx)) return "a tool statement";
    if (dynamic_cast<SbxParser::SecretDeclContext*>(ctx)) return "a secret statement";
    if (dynamic_cast<SbxParser::SyscallsStmtContext*>(ctx)) return "a syscall rule";
    if (dynamic_cast<SbxParser::LimitsStmtContext*>(ctx)) return "a limit";
    switch (ctx->getRuleIndex()) {
      case SbxParser::RuleToolItem:
      case SbxParser::RuleToolStmt:
        return "a tool statement";
      case SbxParser::RuleSecretItem:
      case SbxParser::RuleSecretStmt:
        return "a secret statement";
      case SbxParser::RuleSyscallItem:
      case SbxParser::RuleSyscallStmt:
        return "a syscall rule";
      case SbxParser::RuleLimitItem:
        return "a limit";
      case SbxParser::RuleTaskItem:
      case SbxParser::RuleTaskStmt:
      case SbxParser::RuleTaskDecl:
      case SbxParser::RuleProfileDecl:
        return "a task statement";
      case SbxParser::RuleGroupDecl:
        return "a syscall or @group";
      case SbxParser::RuleFile:
      case SbxParser::RuleTopDecl:
      case SbxParser::RuleImportDecl:
        return "`import`, `task`, `profile` or `group`";
      default:
        break;
    }
  }
  return "a declaration";
}

bool contains(const antlr4::misc::IntervalSet& set, std::size_t type) {
  return set.contains(type);
}

antlr4::Token* previousOnChannel(antlr4::Parser* parser, antlr4::Token* token) {
  auto* stream = dynamic_cast<antlr4::BufferedTokenStream*>(parser->getTokenStream());
  if (stream == nullptr) return nullptr;
  for (std::size_t i = token->getTokenIndex(); i-- > 0;) {
    antlr4::Token* t = stream->get(i);
    if (t->getChannel() == antlr4::Token::DEFAULT_CHANNEL) return t;
  }
  return nullptr;
}

class ErrorStrategy : public antlr4::DefaultErrorStrategy {
 public:
  ErrorStrategy(FileId file, DiagnosticSink& diags) : file_(file), diags_(diags) {}

 protected:
  void reportNoViableAlternative(antlr4::Parser* parser, const antlr4::NoViableAltException& e) override {
    report(parser, e.getOffendingToken(), e.getExpectedTokens());
  }
  void reportInputMismatch(antlr4::Parser* parser, const antlr4::InputMismatchException& e) override {
    report(parser, e.getOffendingToken(), e.getExpectedTokens());
  }
  void reportFailedPredicate(antlr4::Parser* parser, const antlr4::FailedPredicateException& e) override {
    report(parser, e.getOffendingToken(), e.getExpectedTokens());
  }
  void reportUnwantedToken(antlr4::Parser* parser) override {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    report(parser, parser->getCurrentToken(), getExpectedTokens(parser));
  }
  void reportMissingToken(antlr4::Parser* parser) override {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    report(parser, parser->getCurrentToken(), getExpectedTokens(parser));
  }

 public:
  // No single-token insertion or deletion: guessing a token into or out of a statement makes
  // the rest of it parse as something else and report errors about the guess. Instead the
  // statement fails as a whole, is reported once, and parsing resumes after it.
  antlr4::Token* recoverInline(antlr4::Parser* parser) override { throw antlr4::InputMismatchException(parser); }

  // A declaration keyword at the start of a line while a block is still open means a `}` is
  // missing: unwind to the file level without consuming it, so the next declaration parses.
  void recover(antlr4::Parser* parser, std::exception_ptr e) override {
    antlr4::Token* t = parser->getCurrentToken();
    std::size_t type = t->getType();
    bool declaration = type == SbxLexer::TASK || type == SbxLexer::PROFILE || type == SbxLexer::GROUP;
    unwinding_ = t->getTokenIndex() == unwindIndex_ ? unwinding_ + 1 : 0;
    unwindIndex_ = t->getTokenIndex();
    // Rules nest a few levels deep; more recoveries at one token would mean no progress.
    if (declaration && t->getCharPositionInLine() == 0 && unwinding_ < 16) return;
    DefaultErrorStrategy::recover(parser, e);
  }

 protected:
  bool singleTokenInsertion(antlr4::Parser*) override { return false; }
  antlr4::Token* singleTokenDeletion(antlr4::Parser*) override { return nullptr; }

 public:
  // ANTLR's default recovery at the start of a statement list throws, and the enclosing rule then
  // skips everything up to the end of the task. Instead, report the stray tokens and skip only
  // them (with any block they open), so the following statements are still checked.
  void sync(antlr4::Parser* parser) override {
    if (inErrorRecoveryMode(parser)) return;
    const antlr4::atn::ATN& atn = parser->getATN();
    antlr4::atn::ATNState* state = atn.states[parser->getState()];
    std::size_t la = parser->getTokenStream()->LA(1);
    const antlr4::misc::IntervalSet& next = atn.nextTokens(state);  // the ATN's cached set
    if (next.contains(antlr4::Token::EPSILON) || next.contains(la)) return;
    auto type = state->getStateType();
    bool loop = type == antlr4::atn::ATNState::STAR_LOOP_ENTRY || type == antlr4::atn::ATNState::STAR_LOOP_BACK ||
                type == antlr4::atn::ATNState::PLUS_LOOP_BACK;
    if (!loop) {
      DefaultErrorStrategy::sync(parser);
      return;
    }
    antlr4::misc::IntervalSet expected = parser->getExpectedTokens();
    auto acceptable = [&](std::size_t t) {
      return t == antlr4::Token::EOF || t == SbxLexer::RBRACE || expected.contains(t);
    };
    while (!acceptable(parser->getTokenStream()->LA(1))) {
      antlr4::Token* offending = parser->getCurrentToken();
      report(parser, offending, expected);
      std::size_t kind = offending->getType();
      if ((kind == SbxLexer::TASK || kind == SbxLexer::PROFILE || kind == SbxLexer::GROUP) &&
          offending->getCharPositionInLine() == 0) {
        beginErrorCondition(parser);  // a `}` is missing: let recover() unwind to the file level
        return;
      }
      // Skip to what can follow, to the next line (where the next statement most likely
      // starts), or past a block the stray words opened.
      std::size_t line = offending->getLine();
      int depth = 0;
      parser->consume();
      for (std::size_t t = parser->getTokenStream()->LA(1); t != antlr4::Token::EOF;
           t = parser->getTokenStream()->LA(1)) {
        bool nextLine = parser->getCurrentToken()->getLine() > line;
        if (depth == 0 && (acceptable(t) || nextLine)) break;
        if (t == SbxLexer::LBRACE) ++depth;
        if (t == SbxLexer::RBRACE) --depth;
        parser->consume();
      }
    }
  }

 private:
  // What the parser expected at an error, in words.
  struct Expectation {
    std::vector<std::size_t> types;
    std::vector<std::string> keywords;  // the keywords among them
    bool expectsName = false;
    bool statementPosition = false;  // the start of a statement: several keywords, not a name
    std::string text;
  };

  static Expectation describeExpected(antlr4::Parser* parser, const antlr4::misc::IntervalSet& expected) {
    const auto& vocabulary = parser->getVocabulary();
    Expectation e;
    for (auto t : expected.toList()) e.types.push_back(t);
    for (auto t : e.types)
      if (isKeyword(t)) e.keywords.push_back(literalName(vocabulary, t));
    // Keywords are also names, so a place expecting a name expects every keyword: not a statement.
    e.expectsName = std::find(e.types.begin(), e.types.end(), SbxLexer::IDENT) != e.types.end();
    e.statementPosition = e.keywords.size() >= 3 && !e.expectsName;
    if (e.statementPosition) {
      e.text = statementKind(parser->getContext());
      if (contains(expected, SbxLexer::RBRACE)) e.text += " or `}`";
    } else if (e.expectsName) {
      e.text = contains(expected, SbxLexer::INT) ? "a name or number" : "a name";
    } else {
      std::vector<std::string> parts;
      for (auto t : e.types) parts.push_back(describeTokenType(vocabulary, t));
      if (parts.size() == 1) {
        e.text = parts[0];
      } else {
        for (std::size_t i = 0; i < parts.size(); ++i)
          e.text += (i == 0 ? "" : i + 1 == parts.size() ? " or " : ", ") + parts[i];
      }
    }
    return e;
  }

  void report(antlr4::Parser* parser, antlr4::Token* offending, const antlr4::misc::IntervalSet& expected) {
    Expectation e = describeExpected(parser, expected);
    std::size_t type = offending->getType();
    bool wordFound = type == SbxLexer::IDENT || isKeyword(type);
    if (reportMisplaced(parser, offending, expected, e)) return;
    if (e.types.size() == 1 && e.types[0] == SbxLexer::QUANTITY) {
      reportMissingQuantity(parser, offending);
      return;
    }
    if (e.statementPosition && wordFound) {
      reportUnknownStatement(offending, e);
      return;
    }
    auto& d = diags_.report(Code::SyntaxError, tokenSpan(file_, offending),
                            fmt::format("expected {}, found {}", e.text, describeToken(offending)));
    if (e.statementPosition && (type == SbxLexer::STRING || type == SbxLexer::QUANTITY || type == SbxLexer::INT)) {
      d.help("is a `,` missing between list items before this?");
      return;
    }
    if (type == SbxLexer::QUANTITY && contains(expected, SbxLexer::INT))
      d.help("this place takes a plain number without a unit");
    else if (type == SbxLexer::INT && contains(expected, SbxLexer::QUANTITY))
      d.help("add a unit, e.g. 30s or 512MiB");
    else if (type == SbxLexer::IDENT && contains(expected, SbxLexer::STRING))
      d.help(fmt::format("put the value in double quotes: \"{}\"", offending->getText()));
    else if (contains(expected, SbxLexer::COMMA) && (type == SbxLexer::STRING || wordFound))
      d.help("separate list items with `,`");
  }

  // Errors whose cause is elsewhere: an unclosed block, a late import, a missing `,` before `@`.
  bool reportMisplaced(antlr4::Parser* parser, antlr4::Token* offending, const antlr4::misc::IntervalSet& expected,
                       const Expectation& e) {
    Span span = tokenSpan(file_, offending);
    std::size_t type = offending->getType();
    antlr4::Token* previous = offending->getTokenIndex() > 0 ? previousOnChannel(parser, offending) : nullptr;
    std::size_t previousType = previous ? previous->getType() : 0;
    bool topLevelWord = type == SbxLexer::TASK || type == SbxLexer::PROFILE || type == SbxLexer::GROUP;
    if (topLevelWord && contains(expected, SbxLexer::RBRACE) && offending->getCharPositionInLine() == 0) {
      auto& d = diags_.report(Code::SyntaxError, span,
                              fmt::format("expected `}}` before `{}`: a block is not closed", offending->getText()));
      if (auto* open = parser->getContext(); open != nullptr)
        d.label(tokenSpan(file_, open->getStart()), "this block is not closed");
      d.help("add the missing `}`");
      return true;
    }
    if (type == SbxLexer::IMPORT && e.statementPosition) {
      diags_.report(Code::SyntaxError, span, "imports must come before the first task, profile or group")
          .help("move this import to the top of the file");
      return true;
    }
    if (previousType == SbxLexer::AT_SIGN && contains(expected, SbxLexer::SUPPRESS) && e.types.size() == 1) {
      diags_.report(Code::SyntaxError, span, fmt::format("expected `,` before `@{}`", offending->getText()))
          .help("separate syscalls and @groups with `,`");
      return true;
    }
    return false;
  }

  // A duration or size was expected: say which, from the keyword before it.
  void reportMissingQuantity(antlr4::Parser* parser, antlr4::Token* offending) {
    antlr4::Token* previous = offending->getTokenIndex() > 0 ? previousOnChannel(parser, offending) : nullptr;
    std::size_t previousType = previous ? previous->getType() : 0;
    bool duration = previousType == SbxLexer::TIMEOUT || previousType == SbxLexer::TTL;
    bool size = previousType == SbxLexer::SIZE;
    std::string what = duration ? "a duration (e.g. 10m)"
                       : size   ? "a size (e.g. 64MiB)"
                                : "a duration or size (e.g. 10m, 512MiB)";
    auto& d = diags_.report(Code::SyntaxError, tokenSpan(file_, offending),
                            fmt::format("expected {}, found {}", what, describeToken(offending)));
    if (offending->getType() != SbxLexer::INT) return;
    antlr4::Token* next = parser->getTokenStream()->LT(2);
    bool unitFollows = next != nullptr && next->getType() == SbxLexer::IDENT && next->getLine() == offending->getLine();
    if (unitFollows)
      d.help(fmt::format("write `{}{}` without a space", offending->getText(), next->getText()));
    else
      d.help(duration ? fmt::format("add a unit, e.g. {}s", offending->getText())
             : size   ? fmt::format("add a unit, e.g. {}MiB", offending->getText())
                      : "add a unit, e.g. 30s or 512MiB");
  }

  void reportUnknownStatement(antlr4::Token* offending, const Expectation& e) {
    auto& d = diags_.report(Code::UnknownStatement, tokenSpan(file_, offending),
                            fmt::format("unknown statement `{}`; expected {}", offending->getText(), e.text));
    if (auto match = closestMatch(offending->getText(), e.keywords)) {
      d.help(fmt::format("did you mean `{}`?", *match));
      return;
    }
    std::vector<std::string> keywords = e.keywords;
    std::sort(keywords.begin(), keywords.end());
    std::string list;
    for (const auto& k : keywords) list += (list.empty() ? "" : ", ") + k;
    d.note(fmt::format("statements here: {}", list));
  }

  FileId file_;
  DiagnosticSink& diags_;
  std::size_t unwindIndex_ = static_cast<std::size_t>(-1);
  int unwinding_ = 0;
};

// Repairs the lexer's error tokens and reports them; see reportLexicalErrors.
class LexicalRepair {
 public:
  LexicalRepair(FileId file, std::vector<antlr4::Token*> all, DiagnosticSink& diags)
      : file_(file), all_(std::move(all)), diags_(diags) {}

  void run() {
    for (std::size_t i = 0; i < all_.size(); ++i) {
      antlr4::Token* token = all_[i];
      auto* common = dynamic_cast<antlr4::CommonToken*>(token);
      if (common == nullptr || token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
      std::size_t type = token->getType();
      if (hiddenLine_ == token->getLine() && type != SbxLexer::LBRACE && type != SbxLexer::RBRACE &&
          type != antlr4::Token::EOF) {
        hide(token);
        continue;
      }
      if (type == SbxLexer::UNTERMINATED_STRING) {
        diags_
            .report(Code::UnterminatedString, tokenSpan(file_, token),
                    "string is not closed before the end of the line")
            .help(
                "add the closing `\"`; strings cannot span lines, and `\\\"` is an escaped quote (write `\\\\` for a "
                "backslash)");
        common->setType(SbxLexer::STRING);
        common->setText(token->getText() + "\"");
        continue;
      }
      if (type == SbxLexer::ERROR_CHAR) i = repairErrorChar(i);
    }
  }

 private:
  static void hide(antlr4::Token* t) {
    if (auto* c = dynamic_cast<antlr4::CommonToken*>(t)) c->setChannel(antlr4::Token::HIDDEN_CHANNEL);
  }

  // Tokens first..last become one STRING token holding `content`.
  void becomeString(std::size_t first, std::size_t last, const std::string& content) {
    auto* token = static_cast<antlr4::CommonToken*>(all_[first]);  // the lexer makes only CommonTokens
    token->setType(SbxLexer::STRING);
    token->setText("\"" + content + "\"");
    token->setStopIndex(all_[last]->getStopIndex());
    for (std::size_t k = first + 1; k <= last; ++k) hide(all_[k]);
  }

  // Returns the index of the last token it consumed.
  std::size_t repairErrorChar(std::size_t i) {
    std::string text = all_[i]->getText();
    if (text == "'")
      if (auto close = singleQuoted(i)) return *close;
    // An unquoted path or destination (`read /usr/lib`, `connect *.x.com:443`) becomes the
    // string it was meant to be.
    std::string after = i + 1 < all_.size() ? all_[i + 1]->getText() : "";
    if ((text == "/" && after != "/") || text == "*") return unquotedWord(i);
    reportStray(i);
    return i;
  }

  // 'single-quoted text' on one line, without quotes or backslashes inside.
  std::optional<std::size_t> singleQuoted(std::size_t i) {
    antlr4::Token* token = all_[i];
    std::size_t close = i + 1;
    std::string inner;
    while (close < all_.size() && all_[close]->getLine() == token->getLine() && all_[close]->getText() != "'") {
      inner += all_[close]->getText();
      ++close;
    }
    bool closed = close < all_.size() && all_[close]->getLine() == token->getLine();
    if (!closed || inner.find_first_of("\"\\") != std::string::npos) return std::nullopt;
    diags_
        .report(Code::UnexpectedCharacter, join(tokenSpan(file_, token), tokenSpan(file_, all_[close])),
                "strings use double quotes, not `'`")
        .help(fmt::format("write \"{}\"", inner));
    becomeString(i, close, inner);
    return close;
  }

  std::size_t unquotedWord(std::size_t i) {
    std::size_t last = i;
    std::string word = all_[i]->getText();
    auto joins = [&](const antlr4::Token* t, const antlr4::Token* before) {
      std::size_t type = t->getType();
      return t->getStartIndex() == before->getStopIndex() + 1 && type != antlr4::Token::EOF &&
             t->getChannel() == antlr4::Token::DEFAULT_CHANNEL && type != SbxLexer::COMMA && type != SbxLexer::RBRACE &&
             type != SbxLexer::LBRACE;
    };
    while (last + 1 < all_.size() && joins(all_[last + 1], all_[last])) word += all_[++last]->getText();
    diags_
        .report(Code::UnexpectedCharacter, join(tokenSpan(file_, all_[i]), tokenSpan(file_, all_[last])),
                fmt::format("`{}` must be a string", word))
        .help(fmt::format("put it in double quotes: \"{}\"", word));
    becomeString(i, last, word);
    return last;
  }

  // Any other stray character: reported, and the rest of its line hidden.
  void reportStray(std::size_t i) {
    antlr4::Token* token = all_[i];
    std::string text = token->getText();
    auto& d = diags_.report(Code::UnexpectedCharacter, tokenSpan(file_, token),
                            fmt::format("unexpected character `{}`", text));
    std::string next = i + 1 < all_.size() ? all_[i + 1]->getText() : "";
    if (text == "'")
      d.help("strings use double quotes");
    else if (text == "-")
      d.help("names may contain `-` only between letters or digits; numbers are never negative here");
    else if (text == ";")
      d.help("statements need no terminator; delete it");
    else if (text == "/" && next == "/")
      d.help("comments start with `#`");
    else if (text == "\u201c" || text == "\u201d")
      d.help("use straight double quotes `\"`");
    hide(token);
    hiddenLine_ = token->getLine();
  }

  FileId file_;
  std::vector<antlr4::Token*> all_;
  DiagnosticSink& diags_;
  std::size_t hiddenLine_ = 0;
};

// The lexer never fails: stray characters become ERROR_CHAR tokens and unclosed strings
// UNTERMINATED_STRING. Report each once here, then repair or hide the tokens so the parser does
// not report the same mistake again:
//   - 'single-quoted text' becomes the string it was meant to be;
//   - after any other stray character, the rest of its line (braces excepted) is hidden: one
//     error per line, not one per word of a `// comment` or of `a + b`.
void reportLexicalErrors(FileId file, antlr4::CommonTokenStream& tokens, DiagnosticSink& diags) {
  tokens.fill();
  LexicalRepair(file, tokens.getTokens(), diags).run();
}

}  // namespace

bool hasSyntaxError(const antlr4::ParserRuleContext* ctx) {
  if (ctx == nullptr) return false;
  if (ctx->exception != nullptr) return true;
  for (auto* child : ctx->children) {
    if (isExactly<antlr4::tree::ErrorNodeImpl>(child)) return true;
    if (!isTerminal(child) && hasSyntaxError(static_cast<const antlr4::ParserRuleContext*>(child))) return true;
  }
  return false;
}

bool isTerminal(const antlr4::tree::ParseTree* node) {
  return isExactly<antlr4::tree::TerminalNodeImpl>(node) || isExactly<antlr4::tree::ErrorNodeImpl>(node);
}

ParseTree::ParseTree() = default;
ParseTree::~ParseTree() = default;

Span tokenSpan(FileId file, const antlr4::Token* token) {
  auto line = static_cast<std::uint32_t>(token->getLine());
  auto col = static_cast<std::uint32_t>(token->getCharPositionInLine() + 1);
  // Token indices count code points, so their difference is the token's width.
  std::size_t start = token->getStartIndex(), stop = token->getStopIndex();
  std::uint32_t width = token->getType() == antlr4::Token::EOF || stop == INVALID_INDEX || stop < start
                            ? 1
                            : static_cast<std::uint32_t>(stop - start + 1);
  return {file, line, col, line, col + width};
}

Span contextSpan(FileId file, const antlr4::ParserRuleContext* constCtx) {
  auto* ctx = const_cast<antlr4::ParserRuleContext*>(constCtx);  // ANTLR's getters are not const
  Span start = tokenSpan(file, ctx->getStart());
  const antlr4::Token* stop = ctx->getStop();
  if (stop == nullptr || stop->getTokenIndex() < ctx->getStart()->getTokenIndex()) return start;
  return join(start, tokenSpan(file, stop));
}

std::unique_ptr<ParseTree> parse(FileId file, std::string_view text, DiagnosticSink& diags) {
  TextCheck check = checkText(file, text, diags);
  // Text that displays differently from what it says is not read further: every later
  // message about it would point at text the reviewer cannot see.
  if (!check.lexable || !check.reported.empty()) return nullptr;
  auto tree = std::make_unique<ParseTree>();
  tree->lexer = std::make_unique<Lexer>(text);
  tree->tokens = std::make_unique<antlr4::CommonTokenStream>(tree->lexer.get());
  reportLexicalErrors(file, *tree->tokens, diags);
  tree->parser = std::make_unique<SbxParser>(tree->tokens.get());
  tree->parser->removeErrorListeners();
  // Two stages, as ANTLR recommends: the fast SLL prediction with no error recovery parses
  // every valid file; only a file with a syntax error is parsed again, with full LL prediction
  // and the strategy that reports every error.
  auto* interpreter = tree->parser->getInterpreter<antlr4::atn::ParserATNSimulator>();
  interpreter->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  tree->parser->setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    tree->root = tree->parser->file();
    return tree;
  } catch (const antlr4::ParseCancellationException&) {
  }
  tree->syntaxErrors = true;
  tree->tokens->seek(0);
  tree->parser->reset();
  interpreter->setPredictionMode(antlr4::atn::PredictionMode::LL);
  tree->parser->setErrorHandler(std::make_shared<ErrorStrategy>(file, diags));
  tree->root = tree->parser->file();
  return tree;
}

}  // namespace sbx::frontend
