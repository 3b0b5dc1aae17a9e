// The HTTP values of a policy, checked and put in normal form, one diagnostic per bad value
// (invalid-request, SBX0064; invalid-injection, SBX0066):
//   values_request.cc  request methods, request URLs with their path patterns, query constraints
//   values_header.cc   the header and value template of an injected secret
// sbx-run's inspecting proxy matches requests against what these accept, so each form has one
// spelling: what the proxy would have to normalise or could read two ways is refused here.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostic.h"
#include "model/model.h"

namespace sbx::frontend {

// GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS, upper case. There is no wildcard: an action
// lists each method it sends.
std::optional<std::string> checkRequestMethod(std::string_view method, Span span, DiagnosticSink& diags);

// "http(s)://HOST[:PORT]/PATH-PATTERN" into scheme, host, port (80 or 443 by default) and path;
// the method and query are left empty. No user information, query or fragment in the URL.
std::optional<model::RequestRule> parseRequestUrl(std::string_view url, Span span, DiagnosticSink& diags);

// One `query` constraint, "name" or "name=value"; `seen` holds the names already constrained.
std::optional<std::string> checkQueryConstraint(std::string_view text, Span span, std::vector<std::string>& seen,
                                                DiagnosticSink& diags);

// The header an injected secret is sent in: an HTTP field name (RFC 9110 token) that the proxy
// does not own (framing, routing and hop-by-hop fields).
bool checkInjectedHeader(std::string_view name, Span span, DiagnosticSink& diags);

// The header's value: printable text holding exactly one "{token}", where the secret goes.
bool checkInjectedValue(std::string_view value, Span span, DiagnosticSink& diags);

}  // namespace sbx::frontend
