// Lint of what sbx-run's inspecting proxy enforces: unenforced-action (SBX1229),
// injectable-secret (SBX1230), uninspected-injection (SBX1231).
#include <fmt/format.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {
namespace {

// An action of a tool that speaks HTTP(S) without request rules of its own.
void unenforcedActions(const model::ResolvedTask& t, FindingSink& sink) {
  for (const auto& tool : t.tools) {
    if (!speaksHttp(tool)) continue;
    for (const auto& a : tool.actions) {
      if (!a.requests.empty()) continue;
      auto& d = sink.add(RuleId::UnenforcedAction, a.origin.span,
                         fmt::format("action {} of tool {} names no request, so sbx-run cannot tell its requests "
                                     "apart: its effect{} is declared but unenforced",
                                     ticked(a.name), ticked(tool.name), a.approval ? " and approval" : ""));
      d.help(fmt::format("name its requests: action {} effect {} {{ request METHOD \"https://HOST/PATH\" }}", a.name,
                         model::nameOf(a.effect)));
    }
  }
}

const model::Tool* toolNamed(const model::ResolvedTask& t, const std::string& name) {
  for (const auto& tool : t.tools)
    if (tool.name == name) return &tool;
  return nullptr;
}

// A secret exposed to a tool whose requests to the secret's audience the proxy inspects.
void injectableSecrets(const model::ResolvedTask& t, FindingSink& sink) {
  for (const auto& s : t.secrets) {
    if (s.injection || !model::secretGiven(t, s)) continue;
    for (const model::Tool* tool : toolsUsing(t, s.name)) {
      if (!requestsReachAudience(*tool, s, "https")) continue;
      Span at = s.exposure && s.exposure->origin.span.valid() ? s.exposure->origin.span : s.origin.span;
      sink.add(RuleId::InjectableSecret, at,
               fmt::format("secret {} is put in the sandbox for tool {}, whose requests to {} the proxy inspects",
                           ticked(s.name), ticked(tool->name), s.audience.empty() ? "its system" : s.audience))
          .help(fmt::format("let the proxy add it instead: inject header \"Authorization\" \"Bearer {{token}}\" for {}",
                            tool->name));
    }
  }
}

// An injection the proxy could not make: no https request rule on the audience, or plain http.
void uninspectedInjections(const model::ResolvedTask& t, FindingSink& sink) {
  for (const auto& s : t.secrets) {
    if (!s.injection) continue;
    const model::Tool* tool = toolNamed(t, s.injection->tool);
    if (tool == nullptr) continue;  // an unknown tool is the front end's error
    std::string where = s.audience.empty() ? "anywhere" : "to " + s.audience;
    if (requestsReachAudience(*tool, s, "http"))
      sink.add(RuleId::UninspectedInjection, s.injection->origin.span,
               fmt::format("secret {} is injected into tool {}, which sends requests {} over plain http",
                           ticked(s.name), ticked(tool->name), where))
          .help("the proxy adds a credential over TLS only: write the tool's requests with https:// URLs");
    else if (!requestsReachAudience(*tool, s, "https"))
      sink.add(RuleId::UninspectedInjection, s.injection->origin.span,
               fmt::format("secret {} is injected into tool {}, which names no request {} over https", ticked(s.name),
                           ticked(tool->name), where))
          .help(s.audience.empty()
                    ? "name the tool's requests: action NAME effect EFFECT { request GET \"https://HOST/PATH\" }"
                    : fmt::format("name the tool's requests to {} with https:// URLs, or give the "
                                  "secret the audience its requests go to",
                                  s.audience));
  }
}

}  // namespace

void lintRequests(const LintContext& c, FindingSink& sink) {
  unenforcedActions(c.task, sink);
  injectableSecrets(c.task, sink);
  uninspectedInjections(c.task, sink);
}

}  // namespace sbx::classifier
