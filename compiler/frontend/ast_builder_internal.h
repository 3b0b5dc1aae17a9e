// The AST builder's class, shared by the files that build one kind of construct each:
//   ast_builder.cc          declarations, imports, literals, suppressions, statement dispatch
//   ast_builder_settings.cc single-valued settings, identity, inputs
//   ast_builder_grants.cc   paths, scratch, masks, devices, capabilities, egress, env, delegation
//   ast_builder_tools.cc    tool and secret blocks
//   ast_builder_requests.cc an action's approval and request rules, a secret's injection
//   ast_builder_syscalls.cc syscall rules, conditions, actions and limits
// The form of literal values is checked in values.h; this class only picks them out of the
// parse tree and decides what to keep. Internal to the front end.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <fmt/format.h>

#include "SbxParser.h"
#include "diag/diagnostic.h"
#include "frontend/ast.h"
#include "frontend/parse.h"

namespace sbx::frontend::builder {

using P = grammar::SbxParser;
using antlr4::tree::TerminalNode;

// The exact-type check for a labelled alternative (isExactly, frontend/parse.h): the builder
// runs a dozen per statement.
template <typename T, typename Base>
T* as(Base* node) {
  return isExactly<T>(node) ? static_cast<T*>(node) : nullptr;
}

// Gives a statement the span and suppressions of the statement it was written in.
template <typename S>
S& stamped(S& s, const ast::Statement& head) {
  static_cast<ast::Statement&>(s) = head;
  return s;
}

// Node accessors return nullptr after a syntax error; every helper tolerates that, since the
// builder still runs to report semantic errors in the parts that did parse.
class Builder {
 public:
  Builder(FileId file, DiagnosticSink& diags, bool syntaxErrors)
      : file_(file), diags_(diags), syntaxErrors_(syntaxErrors) {}

  ast::File build(P::FileContext* ctx);

 private:
  // ---- declarations and statements (ast_builder.cc) --------------------------------------
  void buildDeclaration(P::TopDeclContext* top, ast::File& out);
  void buildImport(P::ImportDeclContext* ctx, ast::File& out);
  void buildStdlibLock(P::StdlibLockContext* ctx, ast::File& out);
  void statement(P::TaskItemContext* item, ast::Body& body);
  bool settingStatement(P::TaskStmtContext* ctx, ast::Body& body, const ast::Statement& head);
  bool grantStatement(P::TaskStmtContext* ctx, ast::Body& body, const ast::Statement& head);
  bool blockStatement(P::TaskStmtContext* ctx, ast::Body& body, const ast::Statement& head);

  // ---- spans, names and literals (ast_builder.cc) ----------------------------------------
  Span span(const antlr4::ParserRuleContext* ctx) const { return ctx ? contextSpan(file_, ctx) : Span{}; }
  Span span(TerminalNode* node) const { return node ? tokenSpan(file_, node->getSymbol()) : Span{}; }
  Span span(const antlr4::Token* token) const { return token ? tokenSpan(file_, token) : Span{}; }

  static std::string text(P::NameContext* ctx) { return ctx->getStart()->getText(); }
  ast::Ident ident(P::NameContext* ctx) const {
    if (ctx == nullptr) return {};
    return {text(ctx), span(ctx)};
  }
  ast::Ident ident(TerminalNode* node) const {
    if (node == nullptr) return {};
    return {node->getText(), span(node)};
  }
  ast::QualifiedName qualified(P::QualifiedNameContext* ctx) const;
  std::optional<ast::Str> str(TerminalNode* node);
  std::optional<ast::PathRef> path(TerminalNode* node);
  std::optional<ast::PathRef> pathRef(P::PathRefContext* ref, model::Access access);
  std::optional<ast::Value<std::uint64_t>> duration(TerminalNode* node);
  std::optional<ast::Value<std::uint64_t>> size(TerminalNode* node);
  std::vector<model::Suppression> attributes(const std::vector<P::AttributeContext*>& attrs,
                                             const antlr4::ParserRuleContext* target);

  // An enum word; an unknown one is reported with the closest match and the list of words.
  template <typename E>
  std::optional<E> word(const std::string& text, Span where, std::string_view what) {
    if (auto value = model::fromName<E>(text)) return value;
    auto candidates = model::names<E>();
    auto& d = diags_.report(Code::InvalidValue, where, fmt::format("unknown {} `{}`", what, text));
    if (auto m = closestMatch(text, candidates)) d.help(fmt::format("did you mean `{}`?", *m));
    std::string list;
    for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
    d.note(fmt::format("{} is one of: {}", what, list));
    return std::nullopt;
  }
  template <typename E>
  std::optional<E> word(P::NameContext* ctx, std::string_view what) {
    if (ctx == nullptr) return std::nullopt;
    return word<E>(text(ctx), span(ctx), what);
  }
  template <typename E>
  std::optional<E> word(TerminalNode* node, std::string_view what) {
    if (node == nullptr) return std::nullopt;
    return word<E>(node->getText(), span(node), what);
  }

  // A setting that may appear once; reports the second occurrence.
  template <typename T>
  bool once(const std::optional<T>& existing, Span where, std::string_view what) {
    if (!existing) return true;
    diags_.report(Code::DuplicateSetting, where, fmt::format("`{}` is set twice", what))
        .label(existing->span, "first set here")
        .help("keep one of them");
    return false;
  }

  void textSetting(std::optional<ast::TextSetting>& slot, TerminalNode* node, const ast::Statement& head,
                   std::string_view what);

  template <typename E>
  void enumSetting(std::optional<ast::Setting<E>>& slot, P::NameContext* name, const ast::Statement& head,
                   std::string_view what) {
    if (!once(slot, head.span, what)) return;
    auto v = word<E>(name, what);
    if (!v) return;
    ast::Setting<E> s;
    stamped(s, head).value = {*v, span(name)};
    slot = std::move(s);
  }

  // ---- settings (ast_builder_settings.cc) ------------------------------------------------
  void timeout(P::TimeoutStmtContext* c, ast::Body& body, const ast::Statement& head);
  void expectTier(P::ExpectStmtContext* c, ast::Body& body, const ast::Statement& head);
  void identity(P::IdentityStmtContext* c, ast::Body& body, const ast::Statement& head);
  bool checkIdentity(P::IdentityStmtContext* c, const ast::Identity& s, bool hasSubject);
  void input(P::InputStmtContext* c, ast::Body& body, const ast::Statement& head);

  // ---- grants (ast_builder_grants.cc) ----------------------------------------------------
  void paths(P::PathStmtContext* c, ast::Body& body, const ast::Statement& head);
  void scratch(P::ScratchStmtContext* c, ast::Body& body, const ast::Statement& head);
  ast::PathList pathList(const std::vector<TerminalNode*>& strings, const ast::Statement& head);
  void capabilities(P::CapabilityStmtContext* c, ast::Body& body, const ast::Statement& head);
  ast::Connect connect(const std::vector<P::DestinationContext*>& destinations, const ast::Statement& head);
  void env(P::EnvStmtContext* c, ast::Body& body, const ast::Statement& head);
  void delegate(P::DelegateStmtContext* c, ast::Body& body, const ast::Statement& head);

  // ---- tools and secrets (ast_builder_tools.cc) ------------------------------------------
  void tool(P::ToolDeclContext* c, ast::Body& body, const ast::Statement& head);
  void toolExec(P::ToolExecContext* e, ast::Tool& t, const ast::Statement& head);
  void toolSystem(P::ToolSystemContext* sys, ast::Tool& t, const ast::Statement& head);
  void toolAction(P::ToolActionContext* a, ast::Tool& t, const ast::Statement& head);
  bool actionSinks(P::ToolActionContext* a, ast::Action& s);
  void secret(P::SecretDeclContext* c, ast::Body& body, const ast::Statement& head);
  void secretSource(P::SecretSourceContext* src, ast::Secret& s, const ast::Statement& head);
  void secretScope(P::SecretScopeContext* sc, ast::Secret& s, const ast::Statement& head);
  void secretTtl(P::SecretTtlContext* ttl, ast::Secret& s, const ast::Statement& head);
  void secretExpose(P::SecretExposeContext* e, ast::Secret& s, const ast::Statement& head);
  bool exposeTarget(P::SecretExposeContext* e, const ast::Secret& s, ast::Expose& x);

  // ---- approvals, request rules, injection (ast_builder_requests.cc) ---------------------
  bool actionApproval(P::ApprovalClauseContext* c, ast::Action& s);
  void actionRequests(P::ActionBodyContext* body, ast::Action& s);
  std::optional<ast::Request> request(P::ActionRequestContext* r, const ast::Statement& head);
  void secretInject(P::SecretInjectContext* i, ast::Secret& s, const ast::Statement& head);

  // ---- syscalls and limits (ast_builder_syscalls.cc) -------------------------------------
  ast::SyscallRef syscallRef(P::SyscallRefContext* ctx);
  std::optional<model::SyscallAction> action(P::ActionContext* ctx);
  std::optional<std::uint64_t> constant(const std::string& name, Span where, bool errnoOnly);
  std::optional<std::uint64_t> value(P::ValueContext* ctx);
  std::optional<model::ArgCondition> condition(P::ConditionContext* ctx);
  bool compareCondition(P::CompareConditionContext* c, model::ArgCondition& cond);
  bool maskedCondition(P::MaskedConditionContext* m, model::ArgCondition& cond);
  bool setCondition(P::SetConditionContext* s, model::ArgCondition& cond);
  bool conditionArgument(P::ArgumentContext* arg, model::ArgCondition& cond);
  void syscalls(P::SyscallsStmtContext* c, ast::Body& body, const ast::Statement& head);
  void syscallStatement(P::SyscallStmtContext* stmt, const ast::Statement& head, ast::Syscalls& block);
  void syscallForeignArch(P::SyscallForeignArchContext* f, const ast::Statement& head, ast::Syscalls& block);
  void syscallRule(P::SyscallRuleContext* r, const ast::Statement& head, ast::Syscalls& block);
  void limits(P::LimitsStmtContext* c, ast::Body& body, const ast::Statement& head);
  std::optional<ast::Value<std::uint64_t>> limitValue(P::LimitItemContext* item, model::Limit kind);
  std::optional<ast::Value<std::uint64_t>> limitCount(P::LimitItemContext* item);

  // A statement the parser could not read whole has been reported; checking its pieces would
  // only add errors about the same mistake.
  bool skip(const antlr4::ParserRuleContext* ctx) const { return syntaxErrors_ && hasSyntaxError(ctx); }

  FileId file_;
  DiagnosticSink& diags_;
  bool syntaxErrors_;
};

}  // namespace sbx::frontend::builder
