// Builds the typed AST from a parse tree: the file's declarations and imports, the literals
// every construct shares (strings, paths, durations, sizes, suppressions), and the dispatch of
// each task or profile statement to the file that builds its kind (see ast_builder_internal.h).
#include "frontend/ast_builder.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "frontend/ast_builder_internal.h"
#include "frontend/values.h"

namespace sbx::frontend {
namespace builder {
namespace {

// Blocks (tool, secret, syscalls, limits) are built even when one of their items is broken:
// each item is skipped on its own.
bool isBlock(P::TaskStmtContext* stmt) {
  return as<P::ToolDeclContext>(stmt) || as<P::SecretDeclContext>(stmt) || as<P::SyscallsStmtContext>(stmt) ||
         as<P::LimitsStmtContext>(stmt);
}

}  // namespace

ast::File Builder::build(P::FileContext* ctx) {
  ast::File out;
  out.id = file_;
  if (ctx == nullptr) return out;
  if (auto* lock = ctx->stdlibLock()) buildStdlibLock(lock, out);
  for (auto* imp : ctx->importDecl()) buildImport(imp, out);
  for (auto* top : ctx->topDecl()) buildDeclaration(top, out);
  return out;
}

void Builder::buildDeclaration(P::TopDeclContext* top, ast::File& out) {
  auto suppressions = attributes(top->attribute(), top);
  if (auto* t = top->taskDecl()) {
    ast::TaskDecl task;
    task.span = span(t);
    task.suppressions = std::move(suppressions);
    task.name = ident(t->name());
    for (auto* item : t->taskItem()) statement(item, task.body);
    out.tasks.push_back(std::move(task));
  } else if (auto* p = top->profileDecl()) {
    ast::Profile profile;
    profile.span = span(p);
    profile.suppressions = std::move(suppressions);
    profile.name = ident(p->name());
    for (auto* item : p->taskItem()) statement(item, profile.body);
    out.profiles.push_back(std::move(profile));
  } else if (auto* g = top->groupDecl()) {
    for (const auto& s : suppressions)
      diags_.report(Code::InvalidSuppression, s.span, "a syscall group cannot carry a suppression")
          .help("put it on the syscalls rule or the task that uses the group");
    ast::Group group;
    group.span = span(g);
    group.name = ident(g->name());
    for (auto* ref : g->syscallRef()) group.members.push_back(syscallRef(ref));
    out.groups.push_back(std::move(group));
  }
}

// ---- spans, names and literals ---------------------------------------------------------

ast::QualifiedName Builder::qualified(P::QualifiedNameContext* ctx) const {
  ast::QualifiedName q;
  if (ctx == nullptr) return q;
  q.span = span(ctx);
  for (auto* n : ctx->name()) q.parts.push_back(ident(n));
  return q;
}

std::optional<ast::Str> Builder::str(TerminalNode* node) {
  if (node == nullptr) return std::nullopt;
  std::string raw = node->getText();
  ast::Str out{"", span(node)};
  if (raw.size() < 2) return std::nullopt;
  bool ok = true;
  std::uint32_t column = out.span.col;  // of raw[i], counted in code points
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    if ((static_cast<unsigned char>(raw[i]) & 0xC0) != 0x80) ++column;
    if (raw[i] != '\\') {
      out.value += raw[i];
      continue;
    }
    char next = raw[++i];
    ++column;
    switch (next) {
      case '"':
        out.value += '"';
        break;
      case '\\':
        out.value += '\\';
        break;
      case 'n':
        out.value += '\n';
        break;
      case 't':
        out.value += '\t';
        break;
      default: {
        // Point at the escape itself; report every bad escape of the string.
        Span at{out.span.file, out.span.line, column - 1, out.span.line, column + 1};
        diags_.report(Code::InvalidEscape, at, fmt::format("unknown escape `\\{}` in string", next))
            .help("the escapes are \\\", \\\\, \\n and \\t; write `\\\\` for a backslash");
        ok = false;
      }
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<ast::PathRef> Builder::path(TerminalNode* node) {
  auto s = str(node);
  if (!s) return std::nullopt;
  auto normal = checkPath(s->value, s->span, diags_);
  if (!normal) return std::nullopt;
  return ast::PathRef{false, *normal, s->span};
}

std::optional<ast::Value<std::uint64_t>> Builder::duration(TerminalNode* node) {
  if (node == nullptr) return std::nullopt;
  Span where = span(node);
  auto v = parseDuration(node->getText(), where, diags_);
  if (!v) return std::nullopt;
  return ast::Value<std::uint64_t>{*v, where};
}

std::optional<ast::Value<std::uint64_t>> Builder::size(TerminalNode* node) {
  if (node == nullptr) return std::nullopt;
  Span where = span(node);
  auto v = parseSize(node->getText(), where, diags_);
  if (!v) return std::nullopt;
  return ast::Value<std::uint64_t>{*v, where};
}

std::vector<model::Suppression> Builder::attributes(const std::vector<P::AttributeContext*>& attrs,
                                                    const antlr4::ParserRuleContext* target) {
  std::vector<model::Suppression> out;
  for (auto* a : attrs) {
    if (a == nullptr || a->name() == nullptr) continue;
    model::Suppression s;
    s.rule = text(a->name());
    s.span = span(a);
    s.target = span(target);
    if (auto reason = str(a->STRING())) {
      s.reason = reason->value;
      bool blank = std::all_of(s.reason.begin(), s.reason.end(),
                               [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
      if (blank) {
        diags_.report(Code::InvalidSuppression, reason->span, "a suppression needs a reason")
            .help("say why the finding does not apply, e.g. reason \"vendor CDN rotates hosts; reviewed by secops\"");
        continue;
      }
    }
    if (auto* date = a->DATE()) {
      s.until = parseDate(date->getText(), span(date), diags_);
      if (!s.until) continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

// ---- imports ---------------------------------------------------------------------------

void Builder::buildImport(P::ImportDeclContext* ctx, ast::File& out) {
  if (skip(ctx)) return;
  ast::Import imp;
  imp.span = span(ctx);
  if (auto* s = as<P::StdImportContext>(ctx)) {
    imp.stdlib = true;
    if (auto* m = s->modulePath()) {
      imp.module.span = span(m);
      for (auto* n : m->name()) imp.module.parts.push_back(ident(n));
    }
    if (s->AS() != nullptr && s->name() != nullptr) imp.alias = ident(s->name());
    if (imp.module.parts.empty()) return;
  } else if (auto* f = as<P::FileImportContext>(ctx)) {
    auto p = str(f->STRING());
    if (!p) return;
    imp.path = *p;
    if (f->AS() != nullptr && f->name() != nullptr) imp.alias = ident(f->name());
  } else {
    return;
  }
  out.imports.push_back(std::move(imp));
}

void Builder::buildStdlibLock(P::StdlibLockContext* ctx, ast::File& out) {
  if (skip(ctx) || ctx->pin() == nullptr) return;
  auto* pin = ctx->pin();
  if (pin->IDENT()->getText() != "sha256") {
    diags_
        .report(Code::InvalidValue, span(pin->IDENT()),
                fmt::format("unknown digest `{}` for the stdlib", pin->IDENT()->getText()))
        .help("lock the stdlib with `stdlib sha256 \"<64 hex digits>\"`, the line `sbxc --version` prints");
    return;
  }
  auto digest = str(pin->STRING());
  if (!digest) return;
  const std::string& hex = digest->value;
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    diags_.report(Code::InvalidValue, digest->span, fmt::format("`{}` is not a stdlib digest", hex))
        .note("a stdlib digest is 64 lower-case hexadecimal digits of SHA-256")
        .help("copy the `stdlib sha256 \"...\"` line that `sbxc --version` prints");
    return;
  }
  out.stdlibLock = ast::StdlibLock{hex, span(ctx)};
}

// ---- task and profile statements ---------------------------------------------------------

void Builder::statement(P::TaskItemContext* item, ast::Body& body) {
  if (item == nullptr || item->taskStmt() == nullptr) return;
  if (skip(item) && !isBlock(item->taskStmt())) return;
  auto* ctx = item->taskStmt();
  ast::Statement head;
  head.suppressions = attributes(item->attribute(), ctx);
  head.span = span(ctx);
  if (settingStatement(ctx, body, head) || grantStatement(ctx, body, head)) return;
  blockStatement(ctx, body, head);
}

// Single-valued settings and `use`: the statements that describe the task.
bool Builder::settingStatement(P::TaskStmtContext* ctx, ast::Body& body, const ast::Statement& head) {
  if (auto* c = as<P::UseStmtContext>(ctx)) {
    ast::Use s;
    stamped(s, head);
    for (auto* q : c->qualifiedName()) s.targets.push_back(qualified(q));
    body.uses.push_back(std::move(s));
    return true;
  }
  if (auto* c = as<P::DescriptionStmtContext>(ctx)) {
    textSetting(body.description, c->STRING(), head, "description");
    return true;
  }
  if (auto* c = as<P::OwnerStmtContext>(ctx)) {
    textSetting(body.owner, c->STRING(), head, "owner");
    return true;
  }
  if (auto* c = as<P::IdentityStmtContext>(ctx)) {
    identity(c, body, head);
    return true;
  }
  if (auto* c = as<P::TimeoutStmtContext>(ctx)) {
    timeout(c, body, head);
    return true;
  }
  if (auto* c = as<P::ExpectStmtContext>(ctx)) {
    expectTier(c, body, head);
    return true;
  }
  if (auto* c = as<P::MaturityStmtContext>(ctx)) {
    enumSetting(body.maturity, c->name(), head, "maturity");
    return true;
  }
  if (auto* c = as<P::FacingStmtContext>(ctx)) {
    enumSetting(body.facing, c->name(), head, "facing");
    return true;
  }
  if (auto* c = as<P::OperatorStmtContext>(ctx)) {
    enumSetting(body.lifecycle, c->name(), head, "operator");
    return true;
  }
  if (auto* c = as<P::NetworkStmtContext>(ctx)) {
    enumSetting(body.network, c->name(), head, "network");
    return true;
  }
  if (auto* c = as<P::InputStmtContext>(ctx)) {
    input(c, body, head);
    return true;
  }
  return false;
}

// What the task may reach: files, devices, capabilities, hosts, environment, other tasks.
bool Builder::grantStatement(P::TaskStmtContext* ctx, ast::Body& body, const ast::Statement& head) {
  if (auto* c = as<P::PathStmtContext>(ctx)) {
    paths(c, body, head);
    return true;
  }
  if (auto* c = as<P::ScratchStmtContext>(ctx)) {
    scratch(c, body, head);
    return true;
  }
  if (auto* c = as<P::MaskStmtContext>(ctx)) {
    body.masks.push_back(pathList(c->STRING(), head));
    return true;
  }
  if (auto* c = as<P::DeviceStmtContext>(ctx)) {
    body.devices.push_back(pathList(c->STRING(), head));
    return true;
  }
  if (auto* c = as<P::CapabilityStmtContext>(ctx)) {
    capabilities(c, body, head);
    return true;
  }
  if (auto* c = as<P::ConnectStmtContext>(ctx)) {
    body.connects.push_back(connect(c->destination(), head));
    return true;
  }
  if (auto* c = as<P::EnvStmtContext>(ctx)) {
    env(c, body, head);
    return true;
  }
  if (auto* c = as<P::DelegateStmtContext>(ctx)) {
    delegate(c, body, head);
    return true;
  }
  return false;
}

bool Builder::blockStatement(P::TaskStmtContext* ctx, ast::Body& body, const ast::Statement& head) {
  if (auto* c = as<P::ToolDeclContext>(ctx)) {
    tool(c, body, head);
    return true;
  }
  if (auto* c = as<P::SecretDeclContext>(ctx)) {
    secret(c, body, head);
    return true;
  }
  if (auto* c = as<P::SyscallsStmtContext>(ctx)) {
    syscalls(c, body, head);
    return true;
  }
  if (auto* c = as<P::LimitsStmtContext>(ctx)) {
    limits(c, body, head);
    return true;
  }
  return false;
}

void Builder::textSetting(std::optional<ast::TextSetting>& slot, TerminalNode* node, const ast::Statement& head,
                          std::string_view what) {
  if (!once(slot, head.span, what)) return;
  auto s = str(node);
  if (!s) return;
  ast::TextSetting t;
  stamped(t, head).text = *s;
  slot = std::move(t);
}

}  // namespace builder

ast::File buildAst(FileId file, const ParseTree& tree, DiagnosticSink& diags) {
  return builder::Builder(file, diags, tree.syntaxErrors).build(builder::as<builder::P::FileContext>(tree.root));
}

}  // namespace sbx::frontend
