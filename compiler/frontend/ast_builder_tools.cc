// Builds tool and secret blocks. A broken item inside a block is skipped on its own, so the
// rest of the block is still checked; each single-valued item may appear once per block.
#include <cctype>

#include <fmt/format.h>

#include "frontend/ast_builder_internal.h"
#include "frontend/values.h"

namespace sbx::frontend::builder {
namespace {

std::string upper(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return text;
}

}  // namespace

// ---- tools -------------------------------------------------------------------------------

void Builder::tool(P::ToolDeclContext* c, ast::Body& body, const ast::Statement& head) {
  ast::Tool t;
  stamped(t, head).name = ident(c->name());
  for (auto* item : c->toolItem()) {
    if (item == nullptr || item->toolStmt() == nullptr || skip(item)) continue;
    auto* stmt = item->toolStmt();
    ast::Statement itemHead;
    itemHead.suppressions = attributes(item->attribute(), stmt);
    itemHead.span = span(stmt);
    if (auto* d = as<P::ToolDescriptionContext>(stmt)) {
      textSetting(t.description, d->STRING(), itemHead, "description");
    } else if (auto* e = as<P::ToolExecContext>(stmt)) {
      toolExec(e, t, itemHead);
    } else if (auto* sys = as<P::ToolSystemContext>(stmt)) {
      toolSystem(sys, t, itemHead);
    } else if (auto* a = as<P::ToolActionContext>(stmt)) {
      toolAction(a, t, itemHead);
    } else if (auto* k = as<P::ToolConnectContext>(stmt)) {
      t.connects.push_back(connect(k->destination(), itemHead));
    } else if (auto* u = as<P::ToolUsesContext>(stmt)) {
      ast::Uses s;
      stamped(s, itemHead);
      for (auto* n : u->name())
        if (n != nullptr) s.secrets.push_back(ident(n));
      t.uses.push_back(std::move(s));
    }
  }
  body.tools.push_back(std::move(t));
}

void Builder::toolExec(P::ToolExecContext* e, ast::Tool& t, const ast::Statement& head) {
  if (!once(t.exec, head.span, "exec")) return;
  if (auto p = path(e->STRING())) {
    ast::Setting<std::string> s;
    stamped(s, head).value = {p->path, p->span};
    t.exec = std::move(s);
  }
}

void Builder::toolSystem(P::ToolSystemContext* sys, ast::Tool& t, const ast::Statement& head) {
  if (!once(t.system, head.span, "system")) return;
  auto name = str(sys->STRING());
  if (!name) return;
  ast::System s;
  stamped(s, head).name = *name;
  if (sys->IDENT() != nullptr) {
    s.environment = word<model::SystemEnvironment>(sys->IDENT(), "environment");
    if (!s.environment) return;
  }
  t.system = std::move(s);
}

void Builder::toolAction(P::ToolActionContext* a, ast::Tool& t, const ast::Statement& head) {
  auto names = a->name();
  if (names.size() < 2) return;
  ast::Action s;
  stamped(s, head).name = ident(names[0]);
  auto effect = word<model::Effect>(names[1], "effect");
  if (!effect) return;
  s.effect = {*effect, span(names[1])};
  if (a->IDENT() != nullptr) {
    s.reversibility = word<model::Reversibility>(a->IDENT(), "reversibility");
    if (!s.reversibility) return;
  }
  if (!actionApproval(a->approvalClause(), s) || !actionSinks(a, s)) return;
  if (a->actionBody() != nullptr) actionRequests(a->actionBody(), s);
  t.actions.push_back(std::move(s));
}

// `to "SINK", ...`: where a send action's data goes. Only a send has a destination for its data;
// a sink is one recipient, channel or address pattern, so it is never empty or spaced.
bool Builder::actionSinks(P::ToolActionContext* a, ast::Action& s) {
  if (a->TO() == nullptr || a->sinkList() == nullptr) return true;
  if (s.effect.value != model::Effect::Send) {
    diags_
        .report(Code::InvalidValue, span(a->TO()),
                fmt::format("`to` names where a send action's data goes, but `{}` has effect {}", s.name.text,
                            model::nameOf(s.effect.value)))
        .help("remove `to ...`, or make the action `effect send` if it sends data out");
    return false;
  }
  for (auto* node : a->sinkList()->STRING()) {
    auto sink = str(node);
    if (!sink) return false;
    if (sink->value.empty() || sink->value.find_first_of(" \t") != std::string::npos) {
      diags_.report(Code::InvalidValue, sink->span, "a sink is one recipient, channel or address pattern")
          .help("name it without spaces, e.g. to \"#ops-alerts\" or to \"mailto:*@acme.example\"");
      return false;
    }
    s.sinks.push_back(*sink);
  }
  return true;
}

// ---- secrets -----------------------------------------------------------------------------

void Builder::secret(P::SecretDeclContext* c, ast::Body& body, const ast::Statement& head) {
  ast::Secret s;
  stamped(s, head).name = ident(c->name());
  for (auto* item : c->secretItem()) {
    if (item == nullptr || item->secretStmt() == nullptr || skip(item)) continue;
    auto* stmt = item->secretStmt();
    ast::Statement itemHead;
    itemHead.suppressions = attributes(item->attribute(), stmt);
    itemHead.span = span(stmt);
    if (auto* d = as<P::SecretDescriptionContext>(stmt)) {
      textSetting(s.description, d->STRING(), itemHead, "description");
    } else if (auto* src = as<P::SecretSourceContext>(stmt)) {
      secretSource(src, s, itemHead);
    } else if (auto* aud = as<P::SecretAudienceContext>(stmt)) {
      textSetting(s.audience, aud->STRING(), itemHead, "audience");
    } else if (auto* sc = as<P::SecretScopeContext>(stmt)) {
      secretScope(sc, s, itemHead);
    } else if (auto* ttl = as<P::SecretTtlContext>(stmt)) {
      secretTtl(ttl, s, itemHead);
    } else if (auto* e = as<P::SecretExposeContext>(stmt)) {
      secretExpose(e, s, itemHead);
    } else if (auto* inj = as<P::SecretInjectContext>(stmt)) {
      secretInject(inj, s, itemHead);
    }
  }
  body.secrets.push_back(std::move(s));
}

void Builder::secretSource(P::SecretSourceContext* src, ast::Secret& s, const ast::Statement& head) {
  if (src->name() != nullptr) {
    // The one kind of source that is named: a static credential in a file of the host.
    if (text(src->name()) != "file") {
      diags_.report(Code::InvalidValue, span(src->name()), fmt::format("unknown secret source `{}`", text(src->name())))
          .help("write source \"broker://team/name\" for a minted token, or source file \"/PATH\" for a host file");
      return;
    }
    if (!once(s.source, head.span, "source")) return;
    auto p = path(src->STRING());
    if (!p) return;
    ast::TextSetting t;
    stamped(t, head).text = ast::Str{p->path, p->span};
    s.source = std::move(t);
    s.sourceIsHostFile = true;
    return;
  }
  textSetting(s.source, src->STRING(), head, "source");
  if (s.source && s.source->text.value.empty()) {
    diags_.report(Code::InvalidValue, s.source->span, "secret source is empty")
        .help("name the broker path, e.g. source \"broker://tickets/labeler\"");
    s.source.reset();
  }
}

void Builder::secretScope(P::SecretScopeContext* sc, ast::Secret& s, const ast::Statement& head) {
  if (!once(s.scope, head.span, "scope")) return;
  ast::Scope scope;
  stamped(scope, head);
  for (auto* node : sc->STRING()) {
    auto v = str(node);
    if (!v || !checkScope(v->value, v->span, diags_)) continue;
    scope.scopes.push_back(*v);
  }
  s.scope = std::move(scope);
}

void Builder::secretTtl(P::SecretTtlContext* ttl, ast::Secret& s, const ast::Statement& head) {
  if (!once(s.ttlMs, head.span, "ttl")) return;
  if (auto d = duration(ttl->QUANTITY())) {
    ast::Setting<std::uint64_t> t;
    stamped(t, head).value = *d;
    s.ttlMs = std::move(t);
  }
}

void Builder::secretExpose(P::SecretExposeContext* e, ast::Secret& s, const ast::Statement& head) {
  if (!once(s.expose, head.span, "expose")) return;
  auto names = e->name();
  if (names.empty()) return;
  auto kind = word<model::ExposureKind>(names[0], "exposure");
  if (!kind) return;
  ast::Expose x;
  stamped(x, head).kind = *kind;
  if (e->FOR() != nullptr && names.size() > 1) x.tool = ident(names[1]);
  if (!exposeTarget(e, s, x)) return;
  s.expose = std::move(x);
}

// A file exposure takes a quoted path (or the default one), an env exposure a variable name.
bool Builder::exposeTarget(P::SecretExposeContext* e, const ast::Secret& s, ast::Expose& x) {
  if (x.kind == model::ExposureKind::File) {
    if (e->IDENT() != nullptr) {
      diags_.report(Code::SyntaxError, span(e->IDENT()), "a file exposure takes a path in quotes")
          .help(fmt::format("write expose file \"/run/secrets/{}\"", e->IDENT()->getText()));
      return false;
    }
    if (e->STRING() != nullptr) {
      auto p = path(e->STRING());
      if (!p) return false;
      x.target = ast::Str{p->path, p->span};
    }
    return true;
  }
  if (e->STRING() != nullptr) {
    diags_.report(Code::SyntaxError, span(e->STRING()), "an env exposure takes a variable name without quotes")
        .help("write expose env NAME");
    return false;
  }
  if (e->IDENT() == nullptr) {
    diags_.report(Code::MissingSetting, x.span, "`expose env` needs the variable name")
        .help(fmt::format("write expose env {}", upper(s.name.text)));
    return false;
  }
  if (!checkEnvName(e->IDENT()->getText(), span(e->IDENT()), diags_)) return false;
  x.target = ast::Str{e->IDENT()->getText(), span(e->IDENT())};
  return true;
}

}  // namespace sbx::frontend::builder
