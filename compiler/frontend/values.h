// Checks and normalizes literal values: units, paths, destinations, dates, numbers, constants.
// Each function reports a precise diagnostic on bad input and returns nullopt.
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
// "host:port", "*.suffix:port", "10.0.0.0/8:5432", "[2001:db8::1]:443", ports "N", "N-M", "*".
std::optional<model::Destination> parseDestination(std::string_view text, Span span, DiagnosticSink& diags);

std::optional<std::uint64_t> lookupConstant(std::string_view name);
std::vector<std::string> constantNames();

std::string formatDuration(std::uint64_t ms);  // 90000 -> "1m30s"
std::string formatSize(std::uint64_t bytes);   // 536870912 -> "512MiB"

}  // namespace sbx::frontend
