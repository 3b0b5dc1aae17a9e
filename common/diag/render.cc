#include "diag/render.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace sbx {
namespace {

struct Palette {
  std::string bold, red, yellow, cyan, blue, green, reset;
};

Palette palette(bool color) {
  if (!color) return {};
  return {"\x1b[1m", "\x1b[1;31m", "\x1b[1;33m", "\x1b[1;36m", "\x1b[1;34m", "\x1b[1;32m", "\x1b[0m"};
}

std::string severityColor(Severity s, const Palette& p) {
  switch (s) {
    case Severity::Error:
      return p.red;
    case Severity::Warning:
      return p.yellow;
    case Severity::Note:
      return p.cyan;
  }
  return p.red;
}

// The source line as it is safe to print: control characters, bidirectional overrides,
// invisible characters and invalid bytes become visible escapes (`<U+202E>`, `\xE9`), so a
// hostile policy can neither reorder nor recolour the terminal that shows its diagnostics.
// Only code points [first, last) are shown, `…` marking what is cut: a diagnostic on a
// megabyte-long line prints a window around its span, not the line (nor costs its length each).
// Returns the printable text and, for each code point shown, its display column.
struct SafeLine {
  std::string text;
  std::size_t first = 0;              // the first code point shown
  bool cut = false;                   // the line goes on after what is shown
  std::vector<std::uint32_t> column;  // column[i]: display column where code point first + i starts
};

bool hostile(char32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF || c == 0x00AD || c == 0x061C ||
         c == 0x180E || c == 0x034F || (c >= 0xFE00 && c <= 0xFE0F) || c >= 0xE0000;
}

SafeLine safeLine(std::string_view line, std::size_t first = 0,
                  std::size_t last = std::numeric_limits<std::size_t>::max()) {
  SafeLine out;
  out.first = first;
  std::uint32_t col = 0;
  if (first > 0) {
    out.text = "\u2026";
    col = 1;
  }
  std::size_t index = 0;  // code points (or invalid bytes) so far
  std::size_t i = 0;
  for (; i < line.size() && index < last; ++index) {
    unsigned char b = static_cast<unsigned char>(line[i]);
    std::size_t len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    bool valid = len > 0 && i + len <= line.size();
    char32_t c = valid ? (len == 1 ? b : b & (0x7F >> len)) : 0;
    for (std::size_t k = 1; valid && k < len; ++k) {
      unsigned char cont = static_cast<unsigned char>(line[i + k]);
      valid = (cont & 0xC0) == 0x80;
      c = (c << 6) | (cont & 0x3F);
    }
    if (!valid) len = 1;
    if (index < first) {
      i += len;
      continue;
    }
    out.column.push_back(col);
    std::size_t before = out.text.size();
    if (!valid)
      out.text += fmt::format("\\x{:02X}", b);
    else if (c == '\t')
      out.text += "    ";
    else if (hostile(c))
      out.text += fmt::format("<U+{:04X}>", static_cast<unsigned>(c));
    else
      out.text.append(line.substr(i, len));
    col += valid && c != '\t' && !hostile(c) ? 1 : static_cast<std::uint32_t>(out.text.size() - before);
    i += len;
  }
  out.column.push_back(col);
  out.cut = i < line.size();
  if (out.cut) out.text += "\u2026";
  return out;
}

// How much of a long line a snippet shows: at most this many code points, the span's start
// with some context before it among them.
constexpr std::size_t kContextBefore = 40;
constexpr std::size_t kSnippetWidth = 160;

void renderSnippet(std::string& out, const Span& span, std::string_view marker, const std::string& message,
                   const SourceManager& sources, const Palette& p, const std::string& markColor) {
  const SourceFile& file = sources.file(span.file);
  std::string_view text = file.line(span.line);
  std::size_t startPoint = span.col - 1;
  // A line of at most kSnippetWidth bytes has at most that many code points: shown whole.
  std::size_t first =
      text.size() > kSnippetWidth && startPoint + kContextBefore > kSnippetWidth ? startPoint - kContextBefore : 0;
  SafeLine line = safeLine(text, first, first + kSnippetWidth);
  std::string number = std::to_string(span.line);
  std::string gutter(number.size(), ' ');
  auto columnOf = [&](std::size_t codepoint) {
    std::size_t shown = codepoint - line.first;
    return shown < line.column.size()
               ? line.column[shown]
               : line.column.back() + static_cast<std::uint32_t>(shown - (line.column.size() - 1));
  };
  std::uint32_t start = columnOf(startPoint);
  bool endShown = !line.cut || span.endCol - 1 < line.first + line.column.size();
  std::uint32_t end = span.endLine == span.line && endShown ? columnOf(span.endCol - 1) : line.column.back();
  if (end <= start) end = start + 1;
  std::string marks;
  for (std::uint32_t i = start; i < end; ++i) marks += marker;
  out += fmt::format("{}{} |{}\n", p.blue, gutter, p.reset);
  out += fmt::format("{}{} |{} {}\n", p.blue, number, p.reset, line.text);
  out += fmt::format("{}{} |{} {}{}{}{}{}\n", p.blue, gutter, p.reset, std::string(start, ' '), markColor, marks,
                     message.empty() ? "" : " " + message, p.reset);
}

}  // namespace

std::string printable(std::string_view text) {
  return safeLine(text).text;
}

std::string renderText(const Diagnostic& d, const SourceManager& sources, const RenderOptions& options) {
  Palette p = palette(options.color);
  std::string color = severityColor(d.severity, p);
  std::string out;
  if (d.span.valid()) {
    const SourceFile& file = sources.file(d.span.file);
    out += fmt::format("{}{}:{}:{}:{} ", p.bold, printable(file.path), d.span.line, d.span.col, p.reset);
  }
  out += fmt::format("{}{}[{}]{}: {}{}{}\n", color, severityName(d.severity), d.id, p.reset, p.bold,
                     printable(d.message), p.reset);
  if (d.span.valid() && !sources.file(d.span.file).opaque) renderSnippet(out, d.span, "^", "", sources, p, color);
  for (const Label& label : d.labels) {
    if (!label.span.valid()) continue;
    const SourceFile& file = sources.file(label.span.file);
    out += fmt::format("{}  --> {}:{}:{}{}\n", p.blue, file.path, label.span.line, label.span.col, p.reset);
    if (!file.opaque) renderSnippet(out, label.span, "-", printable(label.message), sources, p, p.blue);
  }
  for (const auto& note : d.notes) out += fmt::format("  {}= note:{} {}\n", p.bold, p.reset, printable(note));
  for (const auto& help : d.helps) out += fmt::format("  {}= help:{} {}\n", p.green, p.reset, printable(help));
  return out;
}

std::string renderSummary(std::size_t errors, std::size_t warnings, const RenderOptions& options) {
  Palette p = palette(options.color);
  std::string out;
  auto plural = [](std::size_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); };
  if (errors > 0) out += fmt::format("{}{}{}", p.red, plural(errors, "error"), p.reset);
  if (warnings > 0)
    out += fmt::format("{}{}{}{}", out.empty() ? "" : ", ", p.yellow, plural(warnings, "warning"), p.reset);
  return out.empty() ? out : out + " emitted\n";
}

nlohmann::ordered_json spanToJson(const Span& span, const SourceManager& sources) {
  if (!span.valid()) return nullptr;
  return {{"file", sources.file(span.file).path},
          {"line", span.line},
          {"column", span.col},
          {"endLine", span.endLine},
          {"endColumn", span.endCol}};
}

nlohmann::ordered_json toJson(const Diagnostic& d, const SourceManager& sources) {
  nlohmann::ordered_json j;
  j["id"] = d.id;
  j["name"] = d.name;
  j["severity"] = severityName(d.severity);
  j["message"] = d.message;
  j["location"] = spanToJson(d.span, sources);
  j["labels"] = nlohmann::ordered_json::array();
  for (const auto& l : d.labels)
    j["labels"].push_back({{"message", l.message}, {"location", spanToJson(l.span, sources)}});
  j["notes"] = d.notes;
  j["help"] = d.helps;
  return j;
}

bool colorWanted(int fd, const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* noColor = std::getenv("NO_COLOR");
  if (noColor != nullptr && noColor[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return isatty(fd) == 1;
}

}  // namespace sbx
