// ANTLR glue: lexes and parses one file into a parse tree, translating every lexer and parser
// error into a diagnostic of ours. Only the front end includes this header.
#pragma once
#include <memory>
#include <string_view>
#include <typeinfo>

#include "diag/diagnostic.h"

namespace antlr4 {
class CommonTokenStream;
class Token;
class ParserRuleContext;
namespace tree {
class ParseTree;
}  // namespace tree
}  // namespace antlr4

namespace sbx::grammar {
class SbxParser;
}  // namespace sbx::grammar

namespace sbx::frontend {

class Lexer;

struct ParseTree {
  ParseTree();
  ~ParseTree();
  std::unique_ptr<Lexer> lexer;
  std::unique_ptr<antlr4::CommonTokenStream> tokens;
  std::unique_ptr<grammar::SbxParser> parser;
  antlr4::ParserRuleContext* root = nullptr;  // a FileContext, owned by the parser
  bool syntaxErrors = false;                  // the tree has error nodes or failed rules
};

// Returns nullptr when the text is not lexable (invalid UTF-8); otherwise a tree, possibly with
// error nodes, and diagnostics for every problem found.
std::unique_ptr<ParseTree> parse(FileId file, std::string_view text, DiagnosticSink& diags);

// Whether a subtree holds a syntax error (an error node, or a rule that failed).
bool hasSyntaxError(const antlr4::ParserRuleContext* ctx);

// Whether a parse tree node is exactly of class T (a labelled alternative's context, a terminal).
// Every parse tree class has a key function, so its type_info is one object in the program and
// the addresses decide: dynamic_cast and type_info's operator== fall back to comparing the
// mangled names with strcmp on every mismatch, which cost a third of the fuzzer's time (libFuzzer
// traces each strcmp) and taught it class names as input.
template <typename T, typename Node>
bool isExactly(const Node* node) {
  return node != nullptr && &typeid(*node) == &typeid(T);
}

// A parse tree node is a terminal (a token or an error token) or else a rule context.
bool isTerminal(const antlr4::tree::ParseTree* node);

// Spans of tokens and rule contexts.
Span tokenSpan(FileId file, const antlr4::Token* token);
Span contextSpan(FileId file, const antlr4::ParserRuleContext* ctx);

}  // namespace sbx::frontend
