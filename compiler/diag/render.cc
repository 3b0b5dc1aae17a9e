#include "diag/render.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

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
    case Severity::Error: return p.red;
    case Severity::Warning: return p.yellow;
    case Severity::Note: return p.cyan;
  }
  return p.red;
}

// Number of code points in the first `codepoints` of `line` expressed as a prefix string whose
// tabs are kept, so the caret lines up however the terminal expands tabs.
std::string padding(std::string_view line, std::uint32_t codepoints) {
  std::string pad;
  std::uint32_t seen = 0;
  for (std::size_t i = 0; i < line.size() && seen < codepoints; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    pad += c == '\t' ? '\t' : ' ';
    ++seen;
  }
  while (seen < codepoints) {
    pad += ' ';
    ++seen;
  }
  return pad;
}

std::uint32_t codepointCount(std::string_view line) {
  return static_cast<std::uint32_t>(std::count_if(line.begin(), line.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void renderSnippet(std::string& out, const Span& span, std::string_view marker, const std::string& message,
                   const SourceManager& sources, const Palette& p, const std::string& markColor) {
  const SourceFile& file = sources.file(span.file);
  std::string_view text = file.line(span.line);
  std::string number = std::to_string(span.line);
  std::string gutter(number.size(), ' ');
  std::uint32_t lineWidth = codepointCount(text);
  std::uint32_t start = span.col - 1;
  std::uint32_t end = span.endLine == span.line ? span.endCol - 1 : lineWidth;
  if (end <= start) end = start + 1;
  std::string marks;
  for (std::uint32_t i = start; i < end; ++i) marks += marker;
  out += fmt::format("{}{} |{}\n", p.blue, gutter, p.reset);
  out += fmt::format("{}{} |{} {}\n", p.blue, number, p.reset, text);
  out += fmt::format("{}{} |{} {}{}{}{}{}\n", p.blue, gutter, p.reset, padding(text, start), markColor, marks,
                     message.empty() ? "" : " " + message, p.reset);
}

}  // namespace

std::string renderText(const Diagnostic& d, const SourceManager& sources, const RenderOptions& options) {
  Palette p = palette(options.color);
  std::string color = severityColor(d.severity, p);
  std::string out;
  if (d.span.valid()) {
    const SourceFile& file = sources.file(d.span.file);
    out += fmt::format("{}{}:{}:{}:{} ", p.bold, file.path, d.span.line, d.span.col, p.reset);
  }
  out += fmt::format("{}{}[{}]{}: {}{}{}\n", color, severityName(d.severity), d.id, p.reset, p.bold, d.message,
                     p.reset);
  if (d.span.valid()) renderSnippet(out, d.span, "^", "", sources, p, color);
  for (const Label& label : d.labels) {
    if (!label.span.valid()) continue;
    const SourceFile& file = sources.file(label.span.file);
    out += fmt::format("{}  --> {}:{}:{}{}\n", p.blue, file.path, label.span.line, label.span.col, p.reset);
    renderSnippet(out, label.span, "-", label.message, sources, p, p.blue);
  }
  for (const auto& note : d.notes) out += fmt::format("  {}= note:{} {}\n", p.bold, p.reset, note);
  for (const auto& help : d.helps) out += fmt::format("  {}= help:{} {}\n", p.green, p.reset, help);
  return out;
}

std::string renderSummary(std::size_t errors, std::size_t warnings, const RenderOptions& options) {
  Palette p = palette(options.color);
  std::string out;
  auto plural = [](std::size_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
  };
  if (errors > 0) out += fmt::format("{}{}{}", p.red, plural(errors, "error"), p.reset);
  if (warnings > 0) out += fmt::format("{}{}{}{}", out.empty() ? "" : ", ", p.yellow, plural(warnings, "warning"), p.reset);
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
  for (const auto& l : d.labels) j["labels"].push_back({{"message", l.message}, {"location", spanToJson(l.span, sources)}});
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
