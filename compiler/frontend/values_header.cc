// The header of an injected secret (values_http.h). The proxy adds it to a tool's requests, so it
// may not be a field that frames or routes the request (a second Host or Content-Length is how
// requests are smuggled) or one that concerns the connection to the proxy rather than the server.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "frontend/values_http.h"

namespace sbx::frontend {
namespace {

// Framing, routing and hop-by-hop fields (RFC 9110 7.6.1, RFC 9112): the proxy owns them.
constexpr std::array<std::string_view, 11> kProxyOwned = {
    "host", "content-length", "transfer-encoding", "connection", "keep-alive",      "upgrade",
    "te",   "trailer",        "proxy-connection",  "expect",     "content-encoding"};

bool isTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

bool checkInjectedHeader(std::string_view name, Span span, DiagnosticSink& diags) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), isTokenChar)) {
    diags.report(Code::InvalidInjection, span, fmt::format("`{}` is not an HTTP header name", name))
        .help("write a header name of letters, digits and `-`, e.g. \"Authorization\"");
    return false;
  }
  std::string key = lower(name);
  bool owned = std::find(kProxyOwned.begin(), kProxyOwned.end(), key) != kProxyOwned.end();
  if (owned || key.starts_with("proxy-")) {
    diags.report(Code::InvalidInjection, span, fmt::format("the proxy owns the header `{}`", name))
        .help("inject the secret in a header the server reads it from, e.g. \"Authorization\"")
        .note("a secret cannot be sent in a header that frames or routes the request, or concerns the proxy");
    return false;
  }
  return true;
}

bool checkInjectedValue(std::string_view value, Span span, DiagnosticSink& diags) {
  auto fail = [&](std::string message) {
    diags.report(Code::InvalidInjection, span, std::move(message))
        .help("write the value with one `{token}` where the secret goes, e.g. \"Bearer {token}\"");
    return false;
  };
  for (char c : value) {
    auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\t') || b == 0x7f) return fail("an injected header's value has a control character");
  }
  std::size_t count = 0;
  for (auto at = value.find("{token}"); at != std::string_view::npos; at = value.find("{token}", at + 1)) ++count;
  if (count != 1)
    return fail(fmt::format("an injected header's value has {} `{{token}}`", count == 0 ? "no" : "more than one"));
  std::string rest(value);
  rest.erase(rest.find("{token}"), 7);
  if (rest.find_first_of("{}") != std::string::npos)
    return fail("an injected header's value has a brace that is not part of `{token}`");
  if (!value.empty() && (value.front() == ' ' || value.back() == ' ' || value.front() == '\t' || value.back() == '\t'))
    return fail("an injected header's value starts or ends with white space, which the server would not see");
  return true;
}

}  // namespace sbx::frontend
