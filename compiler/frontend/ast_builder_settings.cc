// Builds the single-valued settings of a task or profile whose value needs more than an enum
// word (timeout, expected tier, identity) and its declared inputs. Each setting may appear once;
// the identity's form is checked in values_names.cc.
#include <fmt/format.h>

#include "frontend/ast_builder_internal.h"
#include "frontend/values.h"

namespace sbx::frontend::builder {

void Builder::timeout(P::TimeoutStmtContext* c, ast::Body& body, const ast::Statement& head) {
  if (!once(body.timeoutMs, head.span, "timeout")) return;
  if (auto d = duration(c->QUANTITY())) {
    ast::Setting<std::uint64_t> s;
    stamped(s, head).value = *d;
    body.timeoutMs = std::move(s);
  }
}

void Builder::expectTier(P::ExpectStmtContext* c, ast::Body& body, const ast::Statement& head) {
  if (!once(body.expectedTier, head.span, "expect tier") || c->INT() == nullptr) return;
  Span at = span(c->INT());
  auto v = parseInteger(c->INT()->getText(), at, diags_);
  if (!v) return;
  if (*v > 4) {
    diags_.report(Code::OutOfRange, at, fmt::format("tier {} does not exist", *v)).help("tiers are 0 to 4");
    return;
  }
  ast::Setting<int> s;
  stamped(s, head).value = {static_cast<int>(*v), at};
  body.expectedTier = std::move(s);
}

void Builder::identity(P::IdentityStmtContext* c, ast::Body& body, const ast::Statement& head) {
  if (!once(body.identity, span(c), "identity")) return;
  auto kind = word<model::IdentityKind>(c->name(), "identity kind");
  auto strings = c->STRING();
  if (!kind || strings.empty()) return;
  auto value = str(strings[0]);
  if (!value) return;
  ast::Identity s;
  stamped(s, head);
  s.kind = *kind;
  s.value = *value;
  bool hasSubject = c->SUBJECT() != nullptr && strings.size() > 1;
  if (hasSubject) s.subject = str(strings[1]);
  if (!checkIdentity(c, s, hasSubject)) return;
  body.identity = std::move(s);
}

// What each kind of identity needs: a SPIFFE ID is its own subject, an OIDC issuer needs one.
bool Builder::checkIdentity(P::IdentityStmtContext* c, const ast::Identity& s, bool hasSubject) {
  const std::string& v = s.value.value;
  switch (s.kind) {
    case model::IdentityKind::Spiffe:
      if (!checkSpiffeId(v, s.value.span, diags_)) return false;
      if (hasSubject) {
        diags_.report(Code::InvalidIdentity, span(c->SUBJECT()), "a SPIFFE identity has no separate subject")
            .help("the subject is the SPIFFE ID itself; delete `subject ...`");
        return false;
      }
      break;
    case model::IdentityKind::Oidc:
      if (!checkOidcIssuer(v, s.value.span, diags_)) return false;
      if (!s.subject || s.subject->value.empty()) {
        diags_
            .report(Code::InvalidIdentity, s.subject ? s.subject->span : span(c),
                    s.subject ? "the OIDC subject is empty" : "an OIDC identity needs a subject")
            .help("add `subject \"...\"` naming the workload within the issuer");
        return false;
      }
      break;
    case model::IdentityKind::Person:
      if (v.empty()) {
        diags_.report(Code::InvalidIdentity, s.value.span, "a person identity is empty");
        return false;
      }
      break;
  }
  return true;
}

void Builder::input(P::InputStmtContext* c, ast::Body& body, const ast::Statement& head) {
  auto names = c->name();
  // `input NAME TRUST SENSITIVITY [from SOURCE]`: FROM's operand is the fourth name.
  if (names.size() < 3) return;
  ast::Input s;
  stamped(s, head).name = ident(names[0]);
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

}  // namespace sbx::frontend::builder
