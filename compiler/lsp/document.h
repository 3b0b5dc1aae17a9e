// An open document and the translation between the protocol's positions (0-based line, UTF-16
// code units in the line) and sbxc's spans (1-based line, 1-based code point column, end
// exclusive).
#pragma once
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "diag/source.h"

namespace sbx::lsp {

struct Document {
  std::string uri;
  std::string path;  // the file the URI names: imports resolve beside it
  std::string text;
  long long version = 0;
};

// "file:///a%20b/c.sbx" -> "/a b/c.sbx"; empty for any other scheme.
std::string pathOfUri(const std::string& uri);
std::string uriOfPath(const std::string& path);

// The protocol range of `span` in `text`.
nlohmann::json rangeOf(const std::string& text, const Span& span);
// The byte offset in `text` of a protocol position (clamped to its line).
std::size_t offsetOf(const std::string& text, long long line, long long character);
// The 1-based line and code point column of a byte offset.
void lineAndColumn(const std::string& text, std::size_t offset, std::uint32_t& line, std::uint32_t& column);

// The name around `offset` (letters, digits, `_`, `-`, `.`, `@`), and where it starts.
std::string wordAt(const std::string& text, std::size_t offset, std::size_t& start);

}  // namespace sbx::lsp
