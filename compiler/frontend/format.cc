#include "frontend/format.h"

#include <set>

#include "SbxLexer.h"
#include "SbxParser.h"
#include "antlr4-runtime.h"
#include "frontend/parse.h"

namespace sbx::frontend {

using L = grammar::SbxLexer;
using P = grammar::SbxParser;

namespace {

constexpr std::size_t kIndent = 2;
constexpr std::size_t kContinuation = 4;
constexpr std::size_t kWidth = 100;

// What the parse tree tells the printer about each token.
struct Layout {
  std::set<std::size_t> lineStarts;     // tokens that begin a line (statements, attributes)
  std::set<std::size_t> topLevel;       // starts of top-level declarations (blank line before)
  std::set<std::size_t> opens, closes;  // block braces
  std::set<std::size_t> groupMembers;   // members of `group` blocks, laid out as filled lines
};

void collect(antlr4::tree::ParseTree* node, Layout& layout) {
  if (isTerminal(node)) return;
  auto* ctx = static_cast<antlr4::ParserRuleContext*>(node);
  auto start = [&] { return ctx->getStart()->getTokenIndex(); };
  switch (ctx->getRuleIndex()) {
    case P::RuleStdlibLock:
    case P::RuleImportDecl:
    case P::RuleAttribute:
    case P::RuleTaskStmt:
    case P::RuleToolStmt:
    case P::RuleSecretStmt:
    case P::RuleActionStmt:
    case P::RuleSyscallStmt:
    case P::RuleLimitItem:
      layout.lineStarts.insert(start());
      break;
    case P::RuleTopDecl:
      layout.lineStarts.insert(start());
      layout.topLevel.insert(start());
      break;
    case P::RuleGroupDecl: {
      auto* group = static_cast<P::GroupDeclContext*>(ctx);
      auto members = group->syscallRef();
      for (auto* m : members) layout.groupMembers.insert(m->getStart()->getTokenIndex());
      if (!members.empty()) layout.lineStarts.insert(members.front()->getStart()->getTokenIndex());
      break;
    }
    default:
      break;
  }
  // Braces of blocks (not of `in { ... }` sets).
  if (ctx->getRuleIndex() != P::RuleCondition) {
    for (auto* child : ctx->children) {
      if (!isTerminal(child)) continue;
      auto* terminal = static_cast<antlr4::tree::TerminalNode*>(child);
      auto type = terminal->getSymbol()->getType();
      if (type == L::LBRACE) layout.opens.insert(terminal->getSymbol()->getTokenIndex());
      if (type == L::RBRACE) layout.closes.insert(terminal->getSymbol()->getTokenIndex());
    }
  }
  for (auto* child : ctx->children) collect(child, layout);
}

bool noSpaceBefore(std::size_t type) {
  return type == L::COMMA || type == L::RPAREN || type == L::DOT || type == L::COLON;
}

bool noSpaceAfter(std::size_t type) {
  return type == L::LPAREN || type == L::DOT || type == L::AT_SIGN || type == L::COLON;
}

class Printer {
 public:
  explicit Printer(const Layout& layout) : layout_(layout) {}

  std::string print(const std::vector<antlr4::Token*>& tokens) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      antlr4::Token* t = tokens[i];
      std::size_t type = t->getType();
      if (type == antlr4::Token::EOF) break;
      if (type == L::NEWLINE) {
        ++newlines_;
        continue;
      }
      if (type == L::WS || (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL && type != L::COMMENT)) continue;
      if (type == L::COMMENT) {
        comment(t);
        continue;
      }
      token(t, i);
    }
    if (!out_.empty() && out_.back() != '\n') out_ += '\n';
    return out_;
  }

 private:
  void newline(bool blankAllowed) {
    if (out_.empty()) return;
    if (out_.back() != '\n') out_ += '\n';
    if (blankAllowed && newlines_ >= 2 && !justOpened_) out_ += '\n';
    column_ = 0;
  }

  void indent(std::size_t extra = 0) {
    std::size_t n = depth_ * kIndent + extra;
    out_.append(n, ' ');
    column_ = n;
  }

  void comment(antlr4::Token* t) {
    std::string text = t->getText();
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
    if (newlines_ == 0 && !out_.empty() && out_.back() != '\n') {
      out_ += "  " + text;  // trailing comment
      column_ += 2 + text.size();
      forceBreak_ = true;
    } else {
      newline(true);
      // A comment after a top-level declaration starts the next one's block of text.
      if (afterTopLevel_ && !out_.ends_with("\n\n")) out_ += '\n';
      afterTopLevel_ = false;
      indent();
      out_ += text;
      out_ += '\n';
      column_ = 0;
      justOpened_ = false;
      forceBreak_ = false;
      afterComment_ = true;
    }
    newlines_ = 0;
  }

  void token(antlr4::Token* t, std::size_t index) {
    std::size_t type = t->getType();
    std::string text = t->getText();
    bool close = layout_.closes.contains(index);
    bool lineStart = layout_.lineStarts.contains(index) || close || out_.empty();
    if (close && depth_ > 0) --depth_;
    if (lineStart) {
      // Top-level declarations are separated by exactly one blank line.
      // (A comment directly above a declaration stays attached to it.)
      if (layout_.topLevel.contains(index) && !out_.empty() && !afterComment_) {
        if (out_.back() != '\n') out_ += '\n';
        if (!out_.ends_with("\n\n")) out_ += '\n';
        column_ = 0;
      } else {
        newline(!close);
      }
      if (column_ == 0) indent();
    } else if (column_ == 0) {
      // After a comment on its own line inside a list: group members stay at the block's
      // indentation, other list items continue the statement.
      indent(layout_.groupMembers.contains(index) ? 0 : kContinuation);
    } else if (forceBreak_ || (previousType_ == L::COMMA && column_ + 1 + text.size() > kWidth)) {
      out_ += '\n';
      indent(layout_.groupMembers.contains(index) ? 0 : kContinuation);
    } else if (!noSpaceBefore(type) && !noSpaceAfter(previousType_) &&
               !(type == L::LPAREN && previousType_ == L::SUPPRESS) &&
               !(previousType_ == L::LBRACE && !layout_.opens.contains(previousIndex_)) &&
               !(type == L::RBRACE && !close)) {
      out_ += ' ';
      ++column_;
    }
    out_ += text;
    column_ += codepoints(text);
    forceBreak_ = false;
    newlines_ = 0;
    justOpened_ = false;
    afterComment_ = false;
    afterTopLevel_ = close && depth_ == 0;
    if (layout_.opens.contains(index)) {
      ++depth_;
      justOpened_ = true;
    }
    previousType_ = type;
    previousIndex_ = index;
  }

  static std::size_t codepoints(const std::string& s) {
    std::size_t n = 0;
    for (char c : s)
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
  }

  const Layout& layout_;
  std::string out_;
  std::size_t depth_ = 0, column_ = 0, newlines_ = 0;
  std::size_t previousType_ = 0, previousIndex_ = 0;
  bool forceBreak_ = false, justOpened_ = false, afterComment_ = false, afterTopLevel_ = false;
};

}  // namespace

std::optional<std::string> format(FileId file, std::string_view text, DiagnosticSink& diags) {
  std::size_t errorsBefore = diags.errorCount();
  auto tree = parse(file, text, diags);
  if (tree == nullptr || diags.errorCount() > errorsBefore) return std::nullopt;
  Layout layout;
  collect(tree->root, layout);
  return Printer(layout).print(tree->tokens->getTokens());
}

}  // namespace sbx::frontend
