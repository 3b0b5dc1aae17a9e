// Builds the statements that grant a task something: path access and scratch directories,
// masks and devices, capabilities, egress destinations, environment variables and delegation.
// The values' form (paths, destinations, capability and variable names) is checked in values.h.
#include <fmt/format.h>

#include "SbxLexer.h"
#include "frontend/ast_builder_internal.h"
#include "frontend/values.h"

namespace sbx::frontend::builder {

void Builder::paths(P::PathStmtContext* c, ast::Body& body, const ast::Statement& head) {
  if (c->access == nullptr) return;
  ast::Paths s;
  stamped(s, head);
  s.access = c->access->getType() == grammar::SbxLexer::READ    ? model::Access::Read
             : c->access->getType() == grammar::SbxLexer::WRITE ? model::Access::Write
                                                                : model::Access::Exec;
  for (auto* ref : c->pathRef()) {
    if (ref == nullptr) continue;
    if (auto p = pathRef(ref, s.access)) s.paths.push_back(std::move(*p));
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

// One path of a path statement: absolute, the workspace, or a path inside it (confined to it:
// relative, no `.` or `..`), with the digest an `exec` path may be pinned to.
std::optional<ast::PathRef> Builder::pathRef(P::PathRefContext* ref, model::Access access) {
  std::optional<ast::PathRef> out;
  if (ref->WORKSPACE() == nullptr) {
    out = path(ref->STRING());
  } else if (ref->STRING() == nullptr) {
    out = ast::PathRef{true, kWorkspaceMountPoint, span(ref), ""};
  } else if (auto s = str(ref->STRING())) {
    auto inside = checkWorkspacePath(s->value, s->span, diags_);
    if (inside) out = ast::PathRef{true, std::string(kWorkspaceMountPoint) + "/" + *inside, span(ref), ""};
  }
  if (!out || ref->pin() == nullptr) return out;
  auto* pin = ref->pin();
  if (pin->IDENT()->getText() != "sha256") {
    diags_
        .report(Code::InvalidValue, span(pin->IDENT()),
                fmt::format("unknown digest `{}` for an executable", pin->IDENT()->getText()))
        .help("pin the executable with `sha256 \"<64 hex digits>\"`");
    return std::nullopt;
  }
  if (access != model::Access::Exec) {
    diags_.report(Code::InvalidValue, span(pin), "only `exec` paths can be pinned to a digest")
        .help("delete the `sha256 \"...\"` pin, or grant the path with `exec`");
    return std::nullopt;
  }
  auto digest = str(pin->STRING());
  if (!digest) return std::nullopt;
  auto hex = checkSha256(digest->value, digest->span, diags_);
  if (!hex) return std::nullopt;
  out->sha256 = *hex;
  return out;
}

void Builder::scratch(P::ScratchStmtContext* c, ast::Body& body, const ast::Statement& head) {
  auto p = path(c->STRING());
  if (!p) return;
  ast::Scratch s;
  stamped(s, head).path = *p;
  if (c->SIZE() != nullptr) {
    s.size = size(c->QUANTITY());
    if (!s.size) return;
  }
  body.scratch.push_back(std::move(s));
}

ast::PathList Builder::pathList(const std::vector<TerminalNode*>& strings, const ast::Statement& head) {
  ast::PathList s;
  stamped(s, head);
  for (auto* node : strings)
    if (auto p = path(node)) s.paths.push_back(*p);
  return s;
}

void Builder::capabilities(P::CapabilityStmtContext* c, ast::Body& body, const ast::Statement& head) {
  ast::Capabilities s;
  stamped(s, head);
  for (auto* n : c->name()) {
    if (n == nullptr) continue;
    if (auto name = checkCapability(text(n), span(n), diags_)) s.names.push_back({*name, span(n)});
  }
  body.capabilities.push_back(std::move(s));
}

ast::Connect Builder::connect(const std::vector<P::DestinationContext*>& destinations, const ast::Statement& head) {
  ast::Connect s;
  stamped(s, head);
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

void Builder::env(P::EnvStmtContext* c, ast::Body& body, const ast::Statement& head) {
  ast::Env s;
  stamped(s, head);
  for (auto* item : c->envItem()) {
    if (item == nullptr || item->name() == nullptr) continue;
    ast::EnvItem e{ident(item->name()), std::nullopt, span(item)};
    if (item->ASSIGN() != nullptr) {
      e.value = str(item->STRING());
      if (!e.value) continue;
    }
    if (!checkEnvName(e.name.text, e.name.span, diags_)) continue;
    s.items.push_back(std::move(e));
  }
  body.env.push_back(std::move(s));
}

void Builder::delegate(P::DelegateStmtContext* c, ast::Body& body, const ast::Statement& head) {
  ast::Delegate s;
  stamped(s, head).target = qualified(c->qualifiedName());
  for (auto* p : c->passItem()) {
    if (p == nullptr || p->name() == nullptr) continue;
    if (p->SECRET() != nullptr) {
      s.passes.push_back({model::PassKind::Credentials, ident(p->name()), span(p)});
    } else if (auto kind = word<model::PassKind>(p->name(), "delegation item")) {
      s.passes.push_back({*kind, std::nullopt, span(p)});
    }
  }
  if (!s.target.parts.empty()) body.delegations.push_back(std::move(s));
}

}  // namespace sbx::frontend::builder
