#include "frontend/ast_builder.h"

#include <cctype>
#include <typeinfo>

#include <fmt/format.h>

#include "SbxLexer.h"
#include "SbxParser.h"
#include "frontend/values.h"

namespace sbx::frontend {

using P = grammar::SbxParser;
using antlr4::tree::TerminalNode;

namespace {

// The exact-type check for a labelled alternative: much cheaper than dynamic_cast, which the
// builder would otherwise run a dozen times per statement.
template <typename T, typename Base>
T* as(Base* node) {
  return node != nullptr && typeid(*node) == typeid(T) ? static_cast<T*>(node) : nullptr;
}

// Node accessors return nullptr after a syntax error; every helper tolerates that, since the
// builder still runs to report semantic errors in the parts that did parse.
class Builder {
 public:
  Builder(FileId file, DiagnosticSink& diags, bool syntaxErrors)
      : file_(file), diags_(diags), syntaxErrors_(syntaxErrors) {}

  ast::File build(P::FileContext* ctx) {
    ast::File out;
    out.id = file_;
    if (ctx == nullptr) return out;
    for (auto* imp : ctx->importDecl()) buildImport(imp, out);
    for (auto* top : ctx->topDecl()) {
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
    return out;
  }

 private:
  // ---- spans, names and literals -------------------------------------------------------

  Span span(const antlr4::ParserRuleContext* ctx) const { return ctx ? contextSpan(file_, ctx) : Span{}; }
  Span span(TerminalNode* node) const { return node ? tokenSpan(file_, node->getSymbol()) : Span{}; }
  Span span(const antlr4::Token* token) const { return token ? tokenSpan(file_, token) : Span{}; }

  // Blocks (tool, secret, syscalls, limits) are built even when one of their items is broken:
  // each item is skipped on its own.
  static bool isBlock(P::TaskStmtContext* stmt) {
    return as<P::ToolDeclContext>(stmt) || as<P::SecretDeclContext>(stmt) || as<P::SyscallsStmtContext>(stmt) ||
           as<P::LimitsStmtContext>(stmt);
  }

  static std::string text(P::NameContext* ctx) { return ctx->getStart()->getText(); }

  ast::Ident ident(P::NameContext* ctx) const {
    if (ctx == nullptr) return {};
    return {text(ctx), span(ctx)};
  }
  ast::Ident ident(TerminalNode* node) const {
    if (node == nullptr) return {};
    return {node->getText(), span(node)};
  }

  ast::QualifiedName qualified(P::QualifiedNameContext* ctx) const {
    ast::QualifiedName q;
    if (ctx == nullptr) return q;
    q.span = span(ctx);
    for (auto* n : ctx->name()) q.parts.push_back(ident(n));
    return q;
  }

  std::optional<ast::Str> str(TerminalNode* node) {
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
        case '"': out.value += '"'; break;
        case '\\': out.value += '\\'; break;
        case 'n': out.value += '\n'; break;
        case 't': out.value += '\t'; break;
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

  std::optional<std::string> nonEmpty(TerminalNode* node, std::string_view what) {
    auto s = str(node);
    if (!s) return std::nullopt;
    if (s->value.empty()) {
      diags_.report(Code::InvalidValue, s->span, fmt::format("{} is empty", what));
      return std::nullopt;
    }
    return s->value;
  }

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

  std::optional<ast::PathRef> path(TerminalNode* node) {
    auto s = str(node);
    if (!s) return std::nullopt;
    auto normal = checkPath(s->value, s->span, diags_);
    if (!normal) return std::nullopt;
    return ast::PathRef{false, *normal, s->span};
  }

  std::optional<ast::Value<std::uint64_t>> duration(TerminalNode* node) {
    if (node == nullptr) return std::nullopt;
    Span where = span(node);
    auto v = parseDuration(node->getText(), where, diags_);
    if (!v) return std::nullopt;
    return ast::Value<std::uint64_t>{*v, where};
  }

  std::optional<ast::Value<std::uint64_t>> size(TerminalNode* node) {
    if (node == nullptr) return std::nullopt;
    Span where = span(node);
    auto v = parseSize(node->getText(), where, diags_);
    if (!v) return std::nullopt;
    return ast::Value<std::uint64_t>{*v, where};
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

  std::vector<model::Suppression> attributes(const std::vector<P::AttributeContext*>& attrs,
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

  // ---- imports -------------------------------------------------------------------------

  void buildImport(P::ImportDeclContext* ctx, ast::File& out) {
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

  // ---- task and profile statements -------------------------------------------------------

  void statement(P::TaskItemContext* item, ast::Body& body) {
    if (item == nullptr || item->taskStmt() == nullptr) return;
    if (skip(item) && !isBlock(item->taskStmt())) return;
    auto* ctx = item->taskStmt();
    auto suppressions = attributes(item->attribute(), ctx);
    auto base = [&]<typename S>(S& s) -> S& {
      s.span = span(ctx);
      s.suppressions = suppressions;
      return s;
    };
    Span where = span(ctx);

    if (auto* c = as<P::UseStmtContext>(ctx)) {
      ast::Use s;
      base(s);
      for (auto* q : c->qualifiedName()) s.targets.push_back(qualified(q));
      body.uses.push_back(std::move(s));
      return;
    }
    if (auto* c = as<P::DescriptionStmtContext>(ctx)) {
      textSetting(body.description, c->STRING(), where, suppressions, "description");
      return;
    }
    if (auto* c = as<P::OwnerStmtContext>(ctx)) {
      textSetting(body.owner, c->STRING(), where, suppressions, "owner");
      return;
    }
    if (auto* c = as<P::IdentityStmtContext>(ctx)) {
      identity(c, body, base);
      return;
    }
    if (auto* c = as<P::TimeoutStmtContext>(ctx)) {
      if (!once(body.timeoutMs, where, "timeout")) return;
      if (auto d = duration(c->QUANTITY())) {
        ast::Setting<std::uint64_t> s;
        base(s).value = *d;
        body.timeoutMs = std::move(s);
      }
      return;
    }
    if (auto* c = as<P::ExpectStmtContext>(ctx)) {
      if (!once(body.expectedTier, where, "expect tier") || c->INT() == nullptr) return;
      Span at = span(c->INT());
      auto v = parseInteger(c->INT()->getText(), at, diags_);
      if (!v) return;
      if (*v > 4) {
        diags_.report(Code::OutOfRange, at, fmt::format("tier {} does not exist", *v)).help("tiers are 0 to 4");
        return;
      }
      ast::Setting<int> s;
      base(s).value = {static_cast<int>(*v), at};
      body.expectedTier = std::move(s);
      return;
    }
    if (auto* c = as<P::MaturityStmtContext>(ctx)) {
      enumSetting(body.maturity, c->name(), where, suppressions, "maturity");
      return;
    }
    if (auto* c = as<P::FacingStmtContext>(ctx)) {
      enumSetting(body.facing, c->name(), where, suppressions, "facing");
      return;
    }
    if (auto* c = as<P::OperatorStmtContext>(ctx)) {
      enumSetting(body.lifecycle, c->name(), where, suppressions, "operator");
      return;
    }
    if (auto* c = as<P::NetworkStmtContext>(ctx)) {
      enumSetting(body.network, c->name(), where, suppressions, "network");
      return;
    }
    if (auto* c = as<P::InputStmtContext>(ctx)) {
      input(c, body, base);
      return;
    }
    if (auto* c = as<P::PathStmtContext>(ctx)) {
      paths(c, body, base);
      return;
    }
    if (auto* c = as<P::ScratchStmtContext>(ctx)) {
      auto p = path(c->STRING());
      if (!p) return;
      ast::Scratch s;
      base(s).path = *p;
      if (c->SIZE() != nullptr) {
        s.size = size(c->QUANTITY());
        if (!s.size) return;
      }
      body.scratch.push_back(std::move(s));
      return;
    }
    if (auto* c = as<P::MaskStmtContext>(ctx)) {
      body.masks.push_back(pathList(c->STRING(), base));
      return;
    }
    if (auto* c = as<P::DeviceStmtContext>(ctx)) {
      body.devices.push_back(pathList(c->STRING(), base));
      return;
    }
    if (auto* c = as<P::CapabilityStmtContext>(ctx)) {
      ast::Capabilities s;
      base(s);
      for (auto* n : c->name()) {
        if (n == nullptr) continue;
        std::string name = text(n);
        for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (!name.starts_with("CAP_")) name = "CAP_" + name;
        if (!capabilityKnown(name)) {
          auto& d = diags_.report(Code::InvalidName, span(n), fmt::format("unknown capability `{}`", text(n)));
          if (auto m = closestMatch(name, capabilityNames())) d.help(fmt::format("did you mean `{}`?", *m));
          continue;
        }
        s.names.push_back({name, span(n)});
      }
      body.capabilities.push_back(std::move(s));
      return;
    }
    if (auto* c = as<P::ConnectStmtContext>(ctx)) {
      body.connects.push_back(connect(c->destination(), base));
      return;
    }
    if (auto* c = as<P::EnvStmtContext>(ctx)) {
      env(c, body, base);
      return;
    }
    if (auto* c = as<P::DelegateStmtContext>(ctx)) {
      ast::Delegate s;
      base(s).target = qualified(c->qualifiedName());
      for (auto* p : c->passItem()) {
        if (p == nullptr || p->name() == nullptr) continue;
        if (p->SECRET() != nullptr) {
          s.passes.push_back({model::PassKind::Credentials, ident(p->name()), span(p)});
        } else if (auto kind = word<model::PassKind>(p->name(), "delegation item")) {
          s.passes.push_back({*kind, std::nullopt, span(p)});
        }
      }
      if (!s.target.parts.empty()) body.delegations.push_back(std::move(s));
      return;
    }
    if (auto* c = as<P::ToolDeclContext>(ctx)) {
      tool(c, body, base);
      return;
    }
    if (auto* c = as<P::SecretDeclContext>(ctx)) {
      secret(c, body, base);
      return;
    }
    if (auto* c = as<P::SyscallsStmtContext>(ctx)) {
      syscalls(c, body, base);
      return;
    }
    if (auto* c = as<P::LimitsStmtContext>(ctx)) {
      limits(c, body, base);
    }
  }

  void textSetting(std::optional<ast::TextSetting>& slot, TerminalNode* node, Span where,
                   const std::vector<model::Suppression>& suppressions, std::string_view what) {
    if (!once(slot, where, what)) return;
    auto s = str(node);
    if (!s) return;
    ast::TextSetting t;
    t.span = where;
    t.suppressions = suppressions;
    t.text = *s;
    slot = std::move(t);
  }

  template <typename E>
  void enumSetting(std::optional<ast::Setting<E>>& slot, P::NameContext* name, Span where,
                   const std::vector<model::Suppression>& suppressions, std::string_view what) {
    if (!once(slot, where, what)) return;
    auto v = word<E>(name, what);
    if (!v) return;
    ast::Setting<E> s;
    s.span = where;
    s.suppressions = suppressions;
    s.value = {*v, span(name)};
    slot = std::move(s);
  }

  template <typename Base>
  void identity(P::IdentityStmtContext* c, ast::Body& body, Base& base) {
    if (!once(body.identity, span(c), "identity")) return;
    auto kind = word<model::IdentityKind>(c->name(), "identity kind");
    auto strings = c->STRING();
    if (!kind || strings.empty()) return;
    auto value = str(strings[0]);
    if (!value) return;
    ast::Identity s;
    base(s);
    s.kind = *kind;
    s.value = *value;
    bool hasSubject = c->SUBJECT() != nullptr && strings.size() > 1;
    if (hasSubject) s.subject = str(strings[1]);
    const std::string& v = value->value;
    switch (*kind) {
      case model::IdentityKind::Spiffe:
        if (!validSpiffeId(v)) {
          diags_.report(Code::InvalidIdentity, value->span, fmt::format("`{}` is not a SPIFFE ID", v))
              .help("write spiffe://TRUST-DOMAIN/PATH, e.g. \"spiffe://acme.example/agents/triage\"")
              .note(
                  "the trust domain is lower-case letters, digits, `.`, `-` and `_`; the path is not empty and has no "
                  "`.`/`..` segments");
          return;
        }
        if (hasSubject) {
          diags_.report(Code::InvalidIdentity, span(c->SUBJECT()), "a SPIFFE identity has no separate subject")
              .help("the subject is the SPIFFE ID itself; delete `subject ...`");
          return;
        }
        break;
      case model::IdentityKind::Oidc:
        if (!v.starts_with("https://") || v.size() <= 8) {
          diags_.report(Code::InvalidIdentity, value->span, fmt::format("OIDC issuer `{}` is not an https URL", v))
              .help(
                  "write the issuer URL, e.g. identity oidc \"https://token.actions.example\" subject "
                  "\"repo:acme/app\"");
          return;
        }
        if (!s.subject || s.subject->value.empty()) {
          diags_
              .report(Code::InvalidIdentity, s.subject ? s.subject->span : span(c),
                      s.subject ? "the OIDC subject is empty" : "an OIDC identity needs a subject")
              .help("add `subject \"...\"` naming the workload within the issuer");
          return;
        }
        break;
      case model::IdentityKind::Person:
        if (v.empty()) {
          diags_.report(Code::InvalidIdentity, value->span, "a person identity is empty");
          return;
        }
        break;
    }
    body.identity = std::move(s);
  }

  static bool validSpiffeId(const std::string& id) {
    constexpr std::string_view scheme = "spiffe://";
    if (!id.starts_with(scheme)) return false;
    std::string_view rest = std::string_view(id).substr(scheme.size());
    std::size_t slash = rest.find('/');
    std::string_view domain = rest.substr(0, slash);
    if (domain.empty() || domain.size() > 255) return false;
    for (char c : domain)
      if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
            c == '-' || c == '_'))
        return false;
    if (slash == std::string_view::npos) return false;
    std::string_view path = rest.substr(slash);
    std::size_t i = 0;
    while (i < path.size()) {
      std::size_t j = path.find('/', i + 1);
      if (j == std::string_view::npos) j = path.size();
      std::string_view segment = path.substr(i + 1, j - i - 1);
      if (segment.empty() || segment == "." || segment == "..") return false;
      for (char c : segment)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) return false;
      i = j;
    }
    return true;
  }

  template <typename Base>
  void input(P::InputStmtContext* c, ast::Body& body, Base& base) {
    auto names = c->name();
    // `input NAME TRUST SENSITIVITY [from SOURCE]`: FROM's operand is the fourth name.
    if (names.size() < 3) return;
    ast::Input s;
    base(s).name = ident(names[0]);
    auto trust = word<model::Trust>(names[1], "trust level");
    auto sensitivity = word<model::Sensitivity>(names[2], "sensitivity");
    if (c->FROM() != nullptr && names.size() > 3) {
      s.source = word<model::InputSource>(names[3], "input source");
      if (!s.source) return;
    }
    if (!trust || !sensitivity) return;
    s.trust = *trust;
    s.sensitivity = *sensitivity;
    if (c->AT() != nullptr) s.location = str(c->STRING());
    body.inputs.push_back(std::move(s));
  }

  template <typename Base>
  void paths(P::PathStmtContext* c, ast::Body& body, Base& base) {
    if (c->access == nullptr) return;
    ast::Paths s;
    base(s);
    s.access = c->access->getType() == grammar::SbxLexer::READ    ? model::Access::Read
               : c->access->getType() == grammar::SbxLexer::WRITE ? model::Access::Write
                                                                  : model::Access::Exec;
    for (auto* ref : c->pathRef()) {
      if (ref == nullptr) continue;
      if (ref->WORKSPACE() != nullptr) {
        s.paths.push_back({true, model::kWorkspaceMountPoint, span(ref)});
      } else if (auto p = path(ref->STRING())) {
        s.paths.push_back(*p);
      }
    }
    for (auto* flag : c->IDENT()) {
      auto f = word<model::MountFlag>(flag, "mount flag");
      if (!f) continue;
      switch (*f) {
        case model::MountFlag::Nosuid:
          s.flags.nosuid = true;
          break;
        case model::MountFlag::Nodev:
          s.flags.nodev = true;
          break;
        case model::MountFlag::Noexec:
          s.flags.noexec = true;
          break;
      }
    }
    if (s.access == model::Access::Exec && s.flags.noexec) {
      diags_.report(Code::InvalidValue, span(c), "`exec` paths cannot be `noexec`").help("delete `noexec`");
      return;
    }
    body.paths.push_back(std::move(s));
  }

  template <typename Base>
  ast::PathList pathList(const std::vector<TerminalNode*>& strings, Base& base) {
    ast::PathList s;
    base(s);
    for (auto* node : strings)
      if (auto p = path(node)) s.paths.push_back(*p);
    return s;
  }

  template <typename Base>
  ast::Connect connect(const std::vector<P::DestinationContext*>& destinations, Base& base) {
    ast::Connect s;
    base(s);
    for (auto* d : destinations) {
      if (d == nullptr) continue;
      auto text = str(d->STRING());
      if (!text) continue;
      auto dest = parseDestination(text->value, text->span, diags_);
      if (!dest) continue;
      if (d->IDENT() != nullptr) {
        auto protocol = word<model::Protocol>(d->IDENT(), "protocol");
        if (!protocol) continue;
        dest->protocol = *protocol;
        if (*protocol == model::Protocol::Udp) dest->text += " udp";
      }
      dest->origin.span = span(d);
      s.destinations.push_back(std::move(*dest));
    }
    return s;
  }

  template <typename Base>
  void env(P::EnvStmtContext* c, ast::Body& body, Base& base) {
    ast::Env s;
    base(s);
    for (auto* item : c->envItem()) {
      if (item == nullptr || item->name() == nullptr) continue;
      ast::EnvItem e{ident(item->name()), std::nullopt, span(item)};
      if (item->ASSIGN() != nullptr) {
        e.value = str(item->STRING());
        if (!e.value) continue;
      }
      if (!validEnvName(e.name.text)) {
        diags_
            .report(Code::InvalidName, e.name.span,
                    fmt::format("`{}` is not an environment variable name", e.name.text))
            .help("use letters, digits and `_`, not starting with a digit");
        continue;
      }
      s.items.push_back(std::move(e));
    }
    body.env.push_back(std::move(s));
  }

  static bool validEnvName(const std::string& name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
  }

  // ---- tools and secrets ---------------------------------------------------------------

  template <typename Base>
  void tool(P::ToolDeclContext* c, ast::Body& body, Base& base) {
    ast::Tool t;
    base(t).name = ident(c->name());
    for (auto* item : c->toolItem()) {
      if (item == nullptr || item->toolStmt() == nullptr || skip(item)) continue;
      auto* stmt = item->toolStmt();
      auto suppressions = attributes(item->attribute(), stmt);
      Span where = span(stmt);
      auto fill = [&]<typename S>(S& s) -> S& {
        s.span = where;
        s.suppressions = suppressions;
        return s;
      };
      if (auto* d = as<P::ToolDescriptionContext>(stmt)) {
        textSetting(t.description, d->STRING(), where, suppressions, "description");
        continue;
      }
      if (auto* e = as<P::ToolExecContext>(stmt)) {
        if (!once(t.exec, where, "exec")) continue;
        if (auto p = path(e->STRING())) {
          ast::Setting<std::string> s;
          fill(s).value = {p->path, p->span};
          t.exec = std::move(s);
        }
        continue;
      }
      if (auto* sys = as<P::ToolSystemContext>(stmt)) {
        if (!once(t.system, where, "system")) continue;
        auto name = str(sys->STRING());
        if (!name) continue;
        ast::System s;
        fill(s).name = *name;
        if (sys->IDENT() != nullptr) {
          s.environment = word<model::SystemEnvironment>(sys->IDENT(), "environment");
          if (!s.environment) continue;
        }
        t.system = std::move(s);
        continue;
      }
      if (auto* a = as<P::ToolActionContext>(stmt)) {
        auto names = a->name();
        if (names.size() < 2) continue;
        ast::Action s;
        fill(s).name = ident(names[0]);
        auto effect = word<model::Effect>(names[1], "effect");
        if (!effect) continue;
        s.effect = {*effect, span(names[1])};
        if (a->IDENT() != nullptr) {
          s.reversibility = word<model::Reversibility>(a->IDENT(), "reversibility");
          if (!s.reversibility) continue;
        }
        s.approval = a->APPROVAL() != nullptr;
        if (a->BY() != nullptr) s.approver = str(a->STRING());
        t.actions.push_back(std::move(s));
        continue;
      }
      if (auto* k = as<P::ToolConnectContext>(stmt)) {
        t.connects.push_back(connect(k->destination(), fill));
        continue;
      }
      if (auto* u = as<P::ToolUsesContext>(stmt)) {
        ast::Uses s;
        fill(s);
        for (auto* n : u->name())
          if (n != nullptr) s.secrets.push_back(ident(n));
        t.uses.push_back(std::move(s));
      }
    }
    body.tools.push_back(std::move(t));
  }

  template <typename Base>
  void secret(P::SecretDeclContext* c, ast::Body& body, Base& base) {
    ast::Secret s;
    base(s).name = ident(c->name());
    for (auto* item : c->secretItem()) {
      if (item == nullptr || item->secretStmt() == nullptr || skip(item)) continue;
      auto* stmt = item->secretStmt();
      auto suppressions = attributes(item->attribute(), stmt);
      Span where = span(stmt);
      if (auto* d = as<P::SecretDescriptionContext>(stmt)) {
        textSetting(s.description, d->STRING(), where, suppressions, "description");
        continue;
      }
      if (auto* src = as<P::SecretSourceContext>(stmt)) {
        textSetting(s.source, src->STRING(), where, suppressions, "source");
        if (s.source && s.source->text.value.empty()) {
          diags_.report(Code::InvalidValue, s.source->span, "secret source is empty")
              .help("name the broker path, e.g. source \"broker://tickets/labeler\"");
          s.source.reset();
        }
        continue;
      }
      if (auto* aud = as<P::SecretAudienceContext>(stmt)) {
        textSetting(s.audience, aud->STRING(), where, suppressions, "audience");
        continue;
      }
      if (auto* sc = as<P::SecretScopeContext>(stmt)) {
        if (!once(s.scope, where, "scope")) continue;
        ast::Scope scope;
        scope.span = where;
        scope.suppressions = suppressions;
        for (auto* node : sc->STRING()) {
          auto v = str(node);
          if (!v) continue;
          if (v->value.empty() || v->value.find_first_of(" \t\n\"\\") != std::string::npos) {
            diags_
                .report(
                    Code::InvalidName, v->span,
                    v->value.empty() ? std::string("a scope is empty") : fmt::format("`{}` is not a scope", v->value))
                .help("scopes are non-empty and have no spaces, quotes or backslashes, e.g. \"tickets:read\"");
            continue;
          }
          scope.scopes.push_back(*v);
        }
        s.scope = std::move(scope);
        continue;
      }
      if (auto* ttl = as<P::SecretTtlContext>(stmt)) {
        if (!once(s.ttlMs, where, "ttl")) continue;
        if (auto d = duration(ttl->QUANTITY())) {
          ast::Setting<std::uint64_t> t;
          t.span = where;
          t.suppressions = suppressions;
          t.value = *d;
          s.ttlMs = std::move(t);
        }
        continue;
      }
      if (auto* e = as<P::SecretExposeContext>(stmt)) {
        if (!once(s.expose, where, "expose")) continue;
        auto names = e->name();
        if (names.empty()) continue;
        auto kind = word<model::ExposureKind>(names[0], "exposure");
        if (!kind) continue;
        ast::Expose x;
        x.span = where;
        x.suppressions = suppressions;
        x.kind = *kind;
        if (e->FOR() != nullptr && names.size() > 1) x.tool = ident(names[1]);
        if (*kind == model::ExposureKind::File) {
          if (e->IDENT() != nullptr) {
            diags_.report(Code::SyntaxError, span(e->IDENT()), "a file exposure takes a path in quotes")
                .help(fmt::format("write expose file \"/run/secrets/{}\"", e->IDENT()->getText()));
            continue;
          }
          if (e->STRING() != nullptr) {
            auto p = path(e->STRING());
            if (!p) continue;
            x.target = ast::Str{p->path, p->span};
          }
        } else {
          if (e->STRING() != nullptr) {
            diags_.report(Code::SyntaxError, span(e->STRING()), "an env exposure takes a variable name without quotes")
                .help("write expose env NAME");
            continue;
          }
          if (e->IDENT() == nullptr) {
            diags_.report(Code::MissingSetting, where, "`expose env` needs the variable name")
                .help(fmt::format("write expose env {}", upper(s.name.text)));
            continue;
          }
          if (!validEnvName(e->IDENT()->getText())) {
            diags_
                .report(Code::InvalidName, span(e->IDENT()),
                        fmt::format("`{}` is not an environment variable name", e->IDENT()->getText()))
                .help("use letters, digits and `_`, not starting with a digit");
            continue;
          }
          x.target = ast::Str{e->IDENT()->getText(), span(e->IDENT())};
        }
        s.expose = std::move(x);
      }
    }
    body.secrets.push_back(std::move(s));
  }

  static std::string upper(std::string text) {
    for (char& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return text;
  }

  // ---- syscalls ------------------------------------------------------------------------

  ast::SyscallRef syscallRef(P::SyscallRefContext* ctx) {
    ast::SyscallRef ref;
    if (ctx == nullptr) return ref;
    ref.span = span(ctx);
    if (ctx->AT_SIGN() != nullptr) {
      ref.group = true;
      ref.name = qualified(ctx->qualifiedName());
    } else if (ctx->name() != nullptr) {
      ref.name.parts.push_back(ident(ctx->name()));
      ref.name.span = ref.span;
    }
    return ref;
  }

  std::optional<model::SyscallAction> action(P::ActionContext* ctx) {
    if (ctx == nullptr) return std::nullopt;
    model::SyscallAction a;
    if (ctx->ALLOW())
      a.kind = model::SyscallActionKind::Allow;
    else if (ctx->KILL())
      a.kind = model::SyscallActionKind::Kill;
    else if (ctx->TRAP())
      a.kind = model::SyscallActionKind::Trap;
    else if (ctx->LOG())
      a.kind = model::SyscallActionKind::Log;
    else if (ctx->NOTIFY())
      a.kind = model::SyscallActionKind::Notify;
    else if (ctx->ERRNO()) {
      a.kind = model::SyscallActionKind::Errno;
      std::optional<std::uint64_t> value;
      Span where;
      if (ctx->INT() != nullptr) {
        where = span(ctx->INT());
        value = parseInteger(ctx->INT()->getText(), where, diags_);
      } else if (ctx->name() != nullptr) {
        where = span(ctx->name());
        value = constant(text(ctx->name()), where, true);
      }
      if (!value) return std::nullopt;
      if (*value == 0 || *value > 4095) {
        diags_.report(Code::OutOfRange, where, fmt::format("errno {} is out of range", *value))
            .help("errno values are 1-4095, e.g. EPERM");
        return std::nullopt;
      }
      a.errnoValue = static_cast<int>(*value);
    } else {
      return std::nullopt;
    }
    return a;
  }

  std::optional<std::uint64_t> constant(const std::string& name, Span where, bool errnoOnly) {
    auto v = lookupConstant(name);
    if (v && (!errnoOnly || name.starts_with("E"))) return v;
    auto& d = diags_.report(Code::UnknownConstant, where,
                            fmt::format("unknown {} `{}`", errnoOnly ? "errno name" : "constant", name));
    auto names = constantNames();
    if (errnoOnly) std::erase_if(names, [](const std::string& n) { return !n.starts_with("E"); });
    if (auto m = closestMatch(name, names))
      d.help(fmt::format("did you mean `{}`?", *m));
    else
      d.help("write the number instead");
    return std::nullopt;
  }

  std::optional<std::uint64_t> value(P::ValueContext* ctx) {
    if (ctx == nullptr) return std::nullopt;
    std::uint64_t result = 0;
    for (auto* atom : ctx->atom()) {
      if (atom == nullptr) return std::nullopt;
      std::optional<std::uint64_t> v;
      if (atom->INT() != nullptr)
        v = parseInteger(atom->INT()->getText(), span(atom->INT()), diags_);
      else if (atom->name() != nullptr)
        v = constant(text(atom->name()), span(atom->name()), false);
      if (!v) return std::nullopt;
      result |= *v;
    }
    return result;
  }

  std::optional<model::ArgCondition> condition(P::ConditionContext* ctx) {
    model::ArgCondition cond;
    cond.span = span(ctx);
    P::ArgumentContext* arg = nullptr;
    if (auto* c = as<P::CompareConditionContext>(ctx)) {
      arg = c->argument();
      if (c->op == nullptr) return std::nullopt;
      switch (c->op->getType()) {
        case grammar::SbxLexer::EQ:
          cond.op = model::CompareOp::Eq;
          break;
        case grammar::SbxLexer::NE:
          cond.op = model::CompareOp::Ne;
          break;
        case grammar::SbxLexer::LT:
          cond.op = model::CompareOp::Lt;
          break;
        case grammar::SbxLexer::LE:
          cond.op = model::CompareOp::Le;
          break;
        case grammar::SbxLexer::GT:
          cond.op = model::CompareOp::Gt;
          break;
        default:
          cond.op = model::CompareOp::Ge;
          break;
      }
      auto v = value(c->value());
      if (!v) return std::nullopt;
      cond.values.push_back(*v);
    } else if (auto* m = as<P::MaskedConditionContext>(ctx)) {
      arg = m->argument();
      cond.op = model::CompareOp::MaskedEq;
      auto values = m->value();
      if (values.size() != 2) return std::nullopt;
      auto mask = value(values[0]);
      auto v = value(values[1]);
      if (!mask || !v) return std::nullopt;
      if ((*v & ~*mask) != 0) {
        diags_
            .report(Code::InvalidCondition, span(values[1]),
                    fmt::format("value 0x{:x} has bits outside mask 0x{:x}; the condition can never hold", *v, *mask))
            .help("compare against a value within the mask");
        return std::nullopt;
      }
      cond.mask = *mask;
      cond.values.push_back(*v);
    } else if (auto* s = as<P::SetConditionContext>(ctx)) {
      arg = s->argument();
      cond.op = model::CompareOp::In;
      for (auto* vctx : s->value()) {
        auto v = value(vctx);
        if (!v) return std::nullopt;
        if (std::find(cond.values.begin(), cond.values.end(), *v) == cond.values.end()) cond.values.push_back(*v);
      }
      if (cond.values.empty()) return std::nullopt;
    } else {
      return std::nullopt;
    }
    if (arg == nullptr || arg->name() == nullptr) return std::nullopt;
    std::string argName = text(arg->name());
    Span argSpan = span(arg->name());
    if (argName.size() != 4 || !argName.starts_with("arg") || argName[3] < '0' || argName[3] > '5') {
      auto& d = diags_.report(Code::InvalidCondition, argSpan, fmt::format("`{}` is not a syscall argument", argName));
      d.help("arguments are arg0 to arg5");
      return std::nullopt;
    }
    cond.arg = static_cast<unsigned>(argName[3] - '0');
    if (arg->INT() != nullptr) {
      auto width = parseInteger(arg->INT()->getText(), span(arg->INT()), diags_);
      if (!width) return std::nullopt;
      if (*width != 32 && *width != 64) {
        diags_
            .report(Code::InvalidCondition, span(arg->INT()), fmt::format("argument width {} is not 32 or 64", *width))
            .help("write arg1:32 to compare the low 32 bits, arg1:64 for all 64");
        return std::nullopt;
      }
      cond.width = static_cast<unsigned>(*width);
      for (auto v : cond.values) {
        if (cond.width == 32 && v > 0xffffffffu) {
          diags_
              .report(Code::InvalidCondition, cond.span,
                      fmt::format("value 0x{:x} does not fit the 32-bit argument", v))
              .help(fmt::format("compare all 64 bits with arg{}:64, or write a value below 0x100000000", cond.arg));
          return std::nullopt;
        }
      }
    }
    return cond;
  }

  template <typename Base>
  void syscalls(P::SyscallsStmtContext* c, ast::Body& body, Base& base) {
    ast::Syscalls block;
    base(block);
    for (auto* item : c->syscallItem()) {
      if (item == nullptr || item->syscallStmt() == nullptr || skip(item)) continue;
      auto* stmt = item->syscallStmt();
      auto suppressions = attributes(item->attribute(), stmt);
      Span where = span(stmt);
      if (auto* d = as<P::SyscallDefaultContext>(stmt)) {
        if (!once(block.defaultAction, where, "default")) continue;
        if (auto a = action(d->action())) {
          ast::ActionSetting s;
          s.span = where;
          s.suppressions = suppressions;
          s.action = *a;
          block.defaultAction = s;
        }
        continue;
      }
      if (auto* f = as<P::SyscallForeignArchContext>(stmt)) {
        if (!once(block.foreignArch, where, "foreign-arch")) continue;
        if (auto a = action(f->action())) {
          if (a->kind == model::SyscallActionKind::Allow || a->kind == model::SyscallActionKind::Log) {
            diags_.report(Code::InvalidValue, span(f->action()), "x32 and i386 syscalls can never be allowed")
                .note("their numbers bypass a filter written for x86_64")
                .help("write foreign-arch kill or foreign-arch errno ENOSYS");
            continue;
          }
          ast::ActionSetting s;
          s.span = where;
          s.suppressions = suppressions;
          s.action = *a;
          block.foreignArch = s;
        }
        continue;
      }
      if (auto* a = as<P::SyscallArchContext>(stmt)) {
        if (!once(block.arch, where, "arch")) continue;
        ast::Arches s;
        s.span = where;
        s.suppressions = suppressions;
        for (auto* n : a->name())
          if (auto arch = word<model::Arch>(n, "architecture")) s.arches.push_back({*arch, span(n)});
        block.arch = std::move(s);
        continue;
      }
      if (auto* b = as<P::SyscallBaselineContext>(stmt)) {
        enumSetting(block.baseline, b->name(), where, suppressions, "baseline");
        continue;
      }
      if (auto* r = as<P::SyscallRuleContext>(stmt)) {
        auto a = action(r->action());
        ast::SyscallRule rule;
        rule.span = where;
        rule.suppressions = suppressions;
        for (auto* ref : r->syscallRef()) rule.syscalls.push_back(syscallRef(ref));
        bool ok = a.has_value();
        for (auto* condCtx : r->condition()) {
          auto cond = condition(condCtx);
          if (!cond) {
            ok = false;
            continue;
          }
          rule.conditions.push_back(*cond);
        }
        if (rule.conditions.size() > 6) {
          diags_
              .report(Code::InvalidCondition, where,
                      fmt::format("{} conditions on one rule; the limit is 6", rule.conditions.size()))
              .help("split the rule");
          ok = false;
        }
        if (!ok) continue;
        rule.action = *a;
        block.rules.push_back(std::move(rule));
      }
    }
    body.syscalls.push_back(std::move(block));
  }

  template <typename Base>
  void limits(P::LimitsStmtContext* c, ast::Body& body, Base& base) {
    ast::Limits block;
    base(block);
    for (auto* item : c->limitItem()) {
      if (item == nullptr || item->IDENT() == nullptr || skip(item)) continue;
      auto kind = word<model::Limit>(item->IDENT(), "limit");
      if (!kind) continue;
      ast::LimitItem li;
      li.span = span(item);
      li.suppressions = attributes(item->attribute(), item);
      li.kind = *kind;
      TerminalNode* q = item->QUANTITY();
      TerminalNode* n = item->INT();
      std::optional<ast::Value<std::uint64_t>> v;
      switch (*kind) {
        case model::Limit::Memory:
        case model::Limit::FileSize:
          if (n != nullptr) {
            diags_.report(Code::InvalidSize, span(n), fmt::format("`{}` needs a size unit", item->IDENT()->getText()))
                .help(fmt::format("write e.g. {}MiB", n->getText()));
            continue;
          }
          v = size(q);
          break;
        case model::Limit::Cpu:
          if (n != nullptr) {
            diags_.report(Code::InvalidDuration, span(n), "`cpu` needs a duration unit")
                .help(fmt::format("write e.g. {}s", n->getText()));
            continue;
          }
          v = duration(q);
          break;
        case model::Limit::Pids:
        case model::Limit::Files:
          if (q != nullptr) {
            diags_
                .report(Code::OutOfRange, span(q),
                        fmt::format("`{}` is a count without a unit", item->IDENT()->getText()))
                .help("write a plain number, e.g. 64");
            continue;
          }
          if (n != nullptr) {
            Span where = span(n);
            if (auto count = parseInteger(n->getText(), where, diags_)) {
              if (*count == 0 || *count > (1u << 30)) {
                diags_
                    .report(Code::OutOfRange, where,
                            fmt::format("{} limit {} is out of range", item->IDENT()->getText(), *count))
                    .help("give a count between 1 and 1073741824");
                continue;
              }
              v = ast::Value<std::uint64_t>{*count, where};
            }
          }
          break;
      }
      if (!v) continue;
      li.value = *v;
      block.items.push_back(std::move(li));
    }
    body.limits.push_back(std::move(block));
  }

  // ---- capabilities (names from linux/capability.h) -------------------------------------

  static const std::vector<std::string>& capabilityNames() {
    static const std::vector<std::string> names = {"CAP_CHOWN",
                                                   "CAP_DAC_OVERRIDE",
                                                   "CAP_DAC_READ_SEARCH",
                                                   "CAP_FOWNER",
                                                   "CAP_FSETID",
                                                   "CAP_KILL",
                                                   "CAP_SETGID",
                                                   "CAP_SETUID",
                                                   "CAP_SETPCAP",
                                                   "CAP_LINUX_IMMUTABLE",
                                                   "CAP_NET_BIND_SERVICE",
                                                   "CAP_NET_BROADCAST",
                                                   "CAP_NET_ADMIN",
                                                   "CAP_NET_RAW",
                                                   "CAP_IPC_LOCK",
                                                   "CAP_IPC_OWNER",
                                                   "CAP_SYS_MODULE",
                                                   "CAP_SYS_RAWIO",
                                                   "CAP_SYS_CHROOT",
                                                   "CAP_SYS_PTRACE",
                                                   "CAP_SYS_PACCT",
                                                   "CAP_SYS_ADMIN",
                                                   "CAP_SYS_BOOT",
                                                   "CAP_SYS_NICE",
                                                   "CAP_SYS_RESOURCE",
                                                   "CAP_SYS_TIME",
                                                   "CAP_SYS_TTY_CONFIG",
                                                   "CAP_MKNOD",
                                                   "CAP_LEASE",
                                                   "CAP_AUDIT_WRITE",
                                                   "CAP_AUDIT_CONTROL",
                                                   "CAP_SETFCAP",
                                                   "CAP_MAC_OVERRIDE",
                                                   "CAP_MAC_ADMIN",
                                                   "CAP_SYSLOG",
                                                   "CAP_WAKE_ALARM",
                                                   "CAP_BLOCK_SUSPEND",
                                                   "CAP_AUDIT_READ",
                                                   "CAP_PERFMON",
                                                   "CAP_BPF",
                                                   "CAP_CHECKPOINT_RESTORE"};
    return names;
  }
  static bool capabilityKnown(const std::string& name) {
    const auto& names = capabilityNames();
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  // A statement the parser could not read whole has been reported; checking its pieces would
  // only add errors about the same mistake.
  bool skip(const antlr4::ParserRuleContext* ctx) const { return syntaxErrors_ && hasSyntaxError(ctx); }

  FileId file_;
  DiagnosticSink& diags_;
  bool syntaxErrors_;
};

}  // namespace

ast::File buildAst(FileId file, const ParseTree& tree, DiagnosticSink& diags) {
  return Builder(file, diags, tree.syntaxErrors).build(as<P::FileContext>(tree.root));
}

}  // namespace sbx::frontend
