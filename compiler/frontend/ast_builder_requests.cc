// Builds what sbx-run's inspecting proxy enforces: an action's `approval` (who releases a held
// request, and how long it waits) and its body of `request` rules, and a secret's `inject`. The
// values themselves are checked in values_http.h; the request rules' hosts are checked against
// the tool's destinations once the tool is whole (resolve_requests.cc).
#include <fmt/format.h>

#include "frontend/ast_builder_internal.h"
#include "frontend/values.h"
#include "frontend/values_http.h"

namespace sbx::frontend::builder {

// `approval [by "GROUP"] [timeout DURATION]`: the timeout is at most an hour (a held request
// keeps the tool waiting; a longer wait is a ticket, not a gate).
bool Builder::actionApproval(P::ApprovalClauseContext* c, ast::Action& s) {
  if (c == nullptr) return true;
  s.approval = true;
  if (c->BY() != nullptr) s.approver = str(c->STRING());
  if (c->TIMEOUT() == nullptr) return true;
  auto timeout = duration(c->QUANTITY());
  if (!timeout) return false;
  if (timeout->value > model::kMaxApprovalTimeoutMs) {
    diags_
        .report(Code::OutOfRange, timeout->span,
                fmt::format("an approval waits at most {}, not {}", formatDuration(model::kMaxApprovalTimeoutMs),
                            formatDuration(timeout->value)))
        .help("a request is held while it waits: give the approver a shorter window, e.g. timeout 5m");
    return false;
  }
  s.approvalTimeoutMs = timeout;
  return true;
}

void Builder::actionRequests(P::ActionBodyContext* body, ast::Action& s) {
  for (auto* item : body->actionItem()) {
    if (item == nullptr || item->actionStmt() == nullptr || skip(item)) continue;
    auto* stmt = item->actionStmt();
    ast::Statement head;
    head.suppressions = attributes(item->attribute(), stmt);
    head.span = span(stmt);
    if (auto* r = as<P::ActionRequestContext>(stmt))
      if (auto rule = request(r, head)) s.requests.push_back(std::move(*rule));
  }
}

// `request METHOD "URL" [query "C", ...]`
std::optional<ast::Request> Builder::request(P::ActionRequestContext* r, const ast::Statement& head) {
  if (r->name() == nullptr || r->STRING().empty()) return std::nullopt;
  auto method = checkRequestMethod(text(r->name()), span(r->name()), diags_);
  auto url = str(r->STRING()[0]);
  if (!method || !url) return std::nullopt;
  auto rule = parseRequestUrl(url->value, url->span, diags_);
  if (!rule) return std::nullopt;
  rule->method = *method;
  rule->span = head.span;
  std::vector<std::string> seen;
  for (std::size_t i = 1; i < r->STRING().size(); ++i) {
    auto constraint = str(r->STRING()[i]);
    if (!constraint) return std::nullopt;
    auto checked = checkQueryConstraint(constraint->value, constraint->span, seen, diags_);
    if (!checked) return std::nullopt;
    rule->query.push_back(*checked);
  }
  ast::Request out;
  stamped(out, head).rule = std::move(*rule);
  return out;
}

// `inject header "NAME" "TEMPLATE" for TOOL`
void Builder::secretInject(P::SecretInjectContext* i, ast::Secret& s, const ast::Statement& head) {
  if (!once(s.inject, head.span, "inject")) return;
  auto names = i->name();
  if (names.empty() || i->STRING().size() < 2) return;
  if (text(names[0]) != "header") {
    diags_
        .report(Code::InvalidInjection, span(names[0]),
                fmt::format("a secret cannot be injected as `{}`", text(names[0])))
        .help(
            "the proxy injects a secret in a request header: inject header \"Authorization\" \"Bearer {token}\" "
            "for TOOL");
    return;
  }
  auto header = str(i->STRING()[0]);
  auto value = str(i->STRING()[1]);
  if (!header || !value) return;
  bool ok = checkInjectedHeader(header->value, header->span, diags_);
  ok = checkInjectedValue(value->value, value->span, diags_) && ok;
  if (!ok) return;
  ast::Inject x;
  stamped(x, head);
  x.header = *header;
  x.value = *value;
  if (i->FOR() != nullptr && names.size() > 1) x.tool = ident(names[1]);
  if (!x.tool) {
    diags_.report(Code::InvalidInjection, head.span, fmt::format("`inject` of secret `{}` names no tool", s.name.text))
        .help(fmt::format("the proxy adds it to one tool's requests: inject header \"{}\" \"{}\" for TOOL",
                          header->value, value->value));
    return;
  }
  s.inject = std::move(x);
}

}  // namespace sbx::frontend::builder
