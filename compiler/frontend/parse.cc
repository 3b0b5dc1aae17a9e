#include "frontend/parse.h"

#include <algorithm>

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
    case antlr4::Token::EOF: return "end of file";
    case SbxLexer::STRING: return "a string";
    case SbxLexer::QUANTITY: return "a duration or size (e.g. 10m, 512MiB)";
    case SbxLexer::INT: return "a number";
    case SbxLexer::IDENT: return "a name";
    case SbxLexer::DATE: return "a date (YYYY-MM-DD)";
    default: return fmt::format("`{}`", literalName(vocabulary, type));
  }
}

std::string describeToken(const antlr4::Token* token) {
  if (token->getType() == antlr4::Token::EOF) return "end of file";
  return fmt::format("`{}`", token->getText());
}

// What kind of statement the parser expects in the innermost block.
std::string statementKind(antlr4::ParserRuleContext* ctx) {
  for (; ctx != nullptr; ctx = dynamic_cast<antlr4::ParserRuleContext*>(ctx->parent)) {
    switch (ctx->getRuleIndex()) {
      case SbxParser::RuleToolItem:
      case SbxParser::RuleToolStmt: return "a tool statement";
      case SbxParser::RuleSecretItem:
      case SbxParser::RuleSecretStmt: return "a secret statement";
      case SbxParser::RuleSyscallItem:
      case SbxParser::RuleSyscallStmt: return "a syscall rule";
      case SbxParser::RuleLimitItem: return "a limit";
      case SbxParser::RuleTaskItem:
      case SbxParser::RuleTaskStmt:
      case SbxParser::RuleTaskDecl:
      case SbxParser::RuleProfileDecl: return "a task statement";
      case SbxParser::RuleGroupDecl: return "a syscall or @group";
      case SbxParser::RuleFile:
      case SbxParser::RuleTopDecl:
      case SbxParser::RuleImportDecl: return "`import`, `task`, `profile` or `group`";
      default: break;
    }
  }
  return "a declaration";
}

bool contains(const antlr4::misc::IntervalSet& set, std::size_t type) { return set.contains(type); }

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
  // ANTLR's default recovery at the start of a statement list throws, and the enclosing rule then
  // skips everything up to the end of the task. Instead, report the stray tokens and skip only
  // them (with any block they open), so the following statements are still checked.
  void sync(antlr4::Parser* parser) override {
    if (inErrorRecoveryMode(parser)) return;
    const antlr4::atn::ATN& atn = parser->getATN();
    antlr4::atn::ATNState* state = atn.states[parser->getState()];
    std::size_t la = parser->getTokenStream()->LA(1);
    antlr4::misc::IntervalSet next = atn.nextTokens(state);
    if (next.contains(antlr4::Token::EPSILON) || next.contains(la)) return;
    auto type = state->getStateType();
    bool loop = type == antlr4::atn::ATNState::STAR_LOOP_ENTRY || type == antlr4::atn::ATNState::STAR_LOOP_BACK ||
                type == antlr4::atn::ATNState::PLUS_LOOP_BACK;
    if (!loop) {
      DefaultErrorStrategy::sync(parser);
      return;
    }
    antlr4::misc::IntervalSet expected = parser->getExpectedTokens();
    report(parser, parser->getCurrentToken(), expected);
    int depth = 0;
    for (std::size_t t = parser->getTokenStream()->LA(1); t != antlr4::Token::EOF; t = parser->getTokenStream()->LA(1)) {
      if (depth == 0 && (expected.contains(t) || t == SbxLexer::RBRACE)) break;
      if (t == SbxLexer::LBRACE) ++depth;
      if (t == SbxLexer::RBRACE) --depth;
      parser->consume();
    }
  }

 private:
  void report(antlr4::Parser* parser, antlr4::Token* offending, const antlr4::misc::IntervalSet& expected) {
    const auto& vocabulary = parser->getVocabulary();
    std::vector<std::size_t> types;
    for (auto t : expected.toList()) types.push_back(t);
    std::vector<std::string> keywords;
    std::size_t keywordCount = 0;
    for (auto t : types) {
      if (isKeyword(t)) {
        keywords.push_back(literalName(vocabulary, t));
        ++keywordCount;
      }
    }
    // Keywords are also names, so a place expecting a name expects every keyword: not a statement.
    bool expectsName = std::find(types.begin(), types.end(), SbxLexer::IDENT) != types.end();
    bool statementPosition = keywordCount >= 3 && !expectsName;

    std::string expectedText;
    if (statementPosition) {
      expectedText = statementKind(parser->getContext());
      if (contains(expected, SbxLexer::RBRACE)) expectedText += " or `}`";
    } else if (expectsName) {
      expectedText = "a name";
    } else {
      std::vector<std::string> parts;
      for (auto t : types) parts.push_back(describeTokenType(vocabulary, t));
      if (parts.size() == 1) {
        expectedText = parts[0];
      } else {
        for (std::size_t i = 0; i < parts.size(); ++i)
          expectedText += (i == 0 ? "" : i + 1 == parts.size() ? " or " : ", ") + parts[i];
      }
    }

    Span span = tokenSpan(file_, offending);
    std::size_t type = offending->getType();
    bool wordFound = type == SbxLexer::IDENT || isKeyword(type);
    if (statementPosition && wordFound) {
      auto& d = diags_.report(Code::SBX11, span,
                              fmt::format("unknown statement `{}`; expected {}", offending->getText(), expectedText));
      if (auto match = closestMatch(offending->getText(), keywords)) {
        d.help(fmt::format("did you mean `{}`?", *match));
      } else {
        std::sort(keywords.begin(), keywords.end());
        std::string list;
        for (const auto& k : keywords) list += (list.empty() ? "" : ", ") + k;
        d.note(fmt::format("statements here: {}", list));
      }
      return;
    }
    auto& d = diags_.report(Code::SBX10, span, fmt::format("expected {}, found {}", expectedText, describeToken(offending)));
    if (statementPosition && (type == SbxLexer::STRING || type == SbxLexer::QUANTITY || type == SbxLexer::INT)) {
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

  FileId file_;
  DiagnosticSink& diags_;
};

// The lexer never fails: stray characters become ERROR_CHAR tokens and unclosed strings
// UNTERMINATED_STRING. Report them once here, then hide or repair them so the parser does not
// report the same problem again.
void reportLexicalErrors(FileId file, antlr4::CommonTokenStream& tokens, const TextCheck& check,
                         DiagnosticSink& diags) {
  tokens.fill();
  for (antlr4::Token* token : tokens.getTokens()) {
    auto* common = dynamic_cast<antlr4::CommonToken*>(token);
    if (common == nullptr) continue;
    Span span = tokenSpan(file, token);
    if (token->getType() == SbxLexer::ERROR_CHAR) {
      if (!check.reported.contains({span.line, span.col})) {
        std::string text = token->getText();
        auto& d = diags.report(Code::SBX5, span, fmt::format("unexpected character `{}`", text));
        if (text == "'") d.help("strings use double quotes");
        else if (text == "-") d.help("names may contain `-` only between letters or digits");
        else if (text == ";") d.help("statements need no terminator; delete it");
        else if (text == "/") d.help("comments start with `#`; paths are written in double quotes");
        else if (text == "*") d.help("wildcards are written inside destination strings: \"*.example.com:443\"");
      }
      common->setChannel(antlr4::Token::HIDDEN_CHANNEL);
    } else if (token->getType() == SbxLexer::UNTERMINATED_STRING) {
      diags.report(Code::SBX6, span, "string is not closed before the end of the line")
          .help("add the closing `\"`; strings cannot span lines");
      common->setType(SbxLexer::STRING);
    }
  }
}

}  // namespace

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
  if (!check.lexable) return nullptr;
  auto tree = std::make_unique<ParseTree>();
  tree->lexer = std::make_unique<Lexer>(text);
  tree->tokens = std::make_unique<antlr4::CommonTokenStream>(tree->lexer.get());
  reportLexicalErrors(file, *tree->tokens, check, diags);
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
  tree->tokens->seek(0);
  tree->parser->reset();
  interpreter->setPredictionMode(antlr4::atn::PredictionMode::LL);
  tree->parser->setErrorHandler(std::make_shared<ErrorStrategy>(file, diags));
  tree->root = tree->parser->file();
  return tree;
}

}  // namespace sbx::frontend
