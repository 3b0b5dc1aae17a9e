#include "classifier/explain_requests.h"

#include <fmt/format.h>

#include "classifier/facts.h"
#include "frontend/values.h"

namespace sbx::classifier {
namespace {

std::string actionText(const model::Tool& tool, const model::Action& a) {
  std::string what(model::nameOf(a.effect));
  if (a.approval) {
    what += a.approver.empty() ? ", approval" : ", approval by " + a.approver;
    if (!approvalEnforced(tool, a))
      what += " (unenforced)";
    else if (!a.requests.empty() && a.approvalTimeoutMs)
      what += fmt::format(", each request held up to {}", frontend::formatDuration(*a.approvalTimeoutMs));
  }
  std::string out = fmt::format("    action `{}` ({}):", a.name, what);
  if (a.requests.empty()) return out + " names no request: declared but unenforced\n";
  out += "\n";
  for (const auto& r : a.requests) {
    out += fmt::format("      {} {}", r.method, r.url());
    for (const auto& q : r.query) out += fmt::format(" query \"{}\"", q);
    out += "\n";
  }
  return out;
}

}  // namespace

std::string requestRulesText(const model::ResolvedTask& task) {
  std::string out;
  for (const auto& tool : task.tools) {
    if (!speaksHttp(tool)) continue;
    out += fmt::format("  tool `{}`: any other request it sends to its destinations is refused\n", tool.name);
    for (const auto& a : tool.actions) out += actionText(tool, a);
  }
  for (const auto& s : task.secrets)
    if (s.injection)
      out += fmt::format(
          "  secret `{}`: added by the proxy to tool `{}`'s requests{} over TLS as {}: {}; the sandbox "
          "holds no token\n",
          s.name, s.injection->tool, s.audience.empty() ? "" : " to " + s.audience, s.injection->header,
          s.injection->value);
  if (out.empty()) return out;
  return "\nRequest rules (sbx-run's proxy judges each request):\n" + out;
}

}  // namespace sbx::classifier
