#include "lsp/document.h"

#include <fmt/format.h>

namespace sbx::lsp {

namespace {

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Byte offset where 1-based `line` starts; text.size() past the end.
std::size_t lineStart(const std::string& text, long long line) {
  std::size_t at = 0;
  for (long long l = 1; l < line; ++l) {
    at = text.find('\n', at);
    if (at == std::string::npos) return text.size();
    ++at;
  }
  return at;
}

// The UTF-16 length of the code points of text[from, to).
long long utf16Between(const std::string& text, std::size_t from, std::size_t to) {
  long long units = 0;
  for (std::size_t i = from; i < to && i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (continuation(c)) continue;
    units += c >= 0xF0 ? 2 : 1;  // four UTF-8 bytes: outside the BMP, a surrogate pair
  }
  return units;
}

nlohmann::json position(const std::string& text, std::uint32_t line, std::uint32_t column) {
  std::size_t start = lineStart(text, line), at = start;
  for (std::uint32_t c = 1; c < column && at < text.size() && text[at] != '\n'; ++c) {
    ++at;
    while (at < text.size() && continuation(static_cast<unsigned char>(text[at]))) ++at;
  }
  return {{"line", line == 0 ? 0 : line - 1}, {"character", utf16Between(text, start, at)}};
}

bool wordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '@';
}

}  // namespace

std::string pathOfUri(const std::string& uri) {
  constexpr std::string_view kScheme = "file://";
  if (!uri.starts_with(kScheme)) return "";
  std::string path;
  for (std::size_t i = kScheme.size(); i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      path.push_back(static_cast<char>(std::stoi(uri.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      path.push_back(uri[i]);
    }
  }
  return path;
}

std::string uriOfPath(const std::string& path) {
  std::string uri = "file://";
  for (unsigned char c : path) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 std::string_view("/-_.~").find(static_cast<char>(c)) != std::string_view::npos;
    uri += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return uri;
}

nlohmann::json rangeOf(const std::string& text, const Span& span) {
  std::uint32_t endLine = span.endLine ? span.endLine : span.line;
  std::uint32_t endCol = span.endCol ? span.endCol : span.col + 1;
  return {{"start", position(text, span.line, span.col)}, {"end", position(text, endLine, endCol)}};
}

std::size_t offsetOf(const std::string& text, long long line, long long character) {
  std::size_t at = lineStart(text, line + 1);
  for (long long units = 0; units < character && at < text.size() && text[at] != '\n';) {
    auto c = static_cast<unsigned char>(text[at]);
    units += c >= 0xF0 ? 2 : 1;
    ++at;
    while (at < text.size() && continuation(static_cast<unsigned char>(text[at]))) ++at;
  }
  return at;
}

void lineAndColumn(const std::string& text, std::size_t offset, std::uint32_t& line, std::uint32_t& column) {
  line = 1;
  column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if (!continuation(static_cast<unsigned char>(text[i]))) {
      ++column;
    }
  }
}

std::string wordAt(const std::string& text, std::size_t offset, std::size_t& start) {
  start = std::min(offset, text.size());
  while (start > 0 && wordByte(text[start - 1])) --start;
  std::size_t end = std::min(offset, text.size());
  while (end < text.size() && wordByte(text[end])) ++end;
  return text.substr(start, end - start);
}

}  // namespace sbx::lsp
