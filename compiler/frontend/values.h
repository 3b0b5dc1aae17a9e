// Checks and normalizes literal values: units, paths, destinations, dates, numbers, constants,
// and the form of names written as values (SPIFFE IDs, environment variables, capabilities).
// Each function reports a precise diagnostic on bad input and returns nullopt (or false).
// values.cc: units, numbers, dates, paths, constants; values_destination.cc: destinations;
// values_names.cc: identities, environment variable names, capabilities, scopes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostic.h"
#include "model/model.h"

namespace sbx::frontend {

std::optional<std::uint64_t> parseDuration(std::string_view text, Span span, DiagnosticSink& diags);
std::optional<std::uint64_t> parseSize(std::string_view text, Span span, DiagnosticSink& diags);
std::optional<std::uint64_t> parseInteger(std::string_view text, Span span, DiagnosticSink& diags);
std::optional<model::Date> parseDate(std::string_view text, Span span, DiagnosticSink& diags);
// Absolute, normalized: no relative path, `.`, `..`, empty component, trailing slash, NUL.
std::optional<std::string> checkPath(std::string_view path, Span span, DiagnosticSink& diags);
// A path inside the workspace (`workspace "bin"`): relative, confined to it (no `..`), normalized
// (no `.`, empty component or trailing slash). Returned as written.
std::optional<std::string> checkWorkspacePath(std::string_view path, Span span, DiagnosticSink& diags);
// An executable's pinned SHA-256 digest: 64 hex digits, returned in lower case.
std::optional<std::string> checkSha256(std::string_view text, Span span, DiagnosticSink& diags);
// "host:port", "*.suffix:port", "10.0.0.0/8:5432", "[2001:db8::1]:443", ports "N", "N-M", "*".
std::optional<model::Destination> parseDestination(std::string_view text, Span span, DiagnosticSink& diags);

// spiffe://TRUST-DOMAIN/PATH: a lower-case trust domain, a non-empty path without `.`/`..`.
bool checkSpiffeId(std::string_view id, Span span, DiagnosticSink& diags);
// An https URL.
bool checkOidcIssuer(std::string_view issuer, Span span, DiagnosticSink& diags);
// Letters, digits and `_`, not starting with a digit.
bool checkEnvName(std::string_view name, Span span, DiagnosticSink& diags);
// A capability of linux/capability.h, written with or without CAP_, in any case; returns the
// canonical CAP_NAME.
std::optional<std::string> checkCapability(std::string_view written, Span span, DiagnosticSink& diags);
// An OAuth scope: non-empty, no spaces, quotes or backslashes.
bool checkScope(std::string_view scope, Span span, DiagnosticSink& diags);

std::optional<std::uint64_t> lookupConstant(std::string_view name);
std::vector<std::string> constantNames();

std::string formatDuration(std::uint64_t ms);  // 90000 -> "1m30s"
std::string formatSize(std::uint64_t bytes);   // 536870912 -> "512MiB"

}  // namespace sbx::frontend
