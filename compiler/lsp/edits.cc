#include "lsp/edits.h"

#include "frontend/format.h"

namespace sbx::lsp {

std::optional<nlohmann::json> formatting(const Document& document) {
  SourceManager sources;
  DiagnosticSink diags;
  FileId file = sources.add(document.path, document.text);
  auto formatted = frontend::format(file, document.text, diags);
  if (!formatted) return std::nullopt;
  nlohmann::json edits = nlohmann::json::array();
  if (*formatted == document.text) return edits;
  std::uint32_t lastLine = 0, lastColumn = 0;
  lineAndColumn(document.text, document.text.size(), lastLine, lastColumn);
  Span whole{file, 1, 1, lastLine, lastColumn};
  edits.push_back({{"range", rangeOf(document.text, whole)}, {"newText", *formatted}});
  return edits;
}

nlohmann::json codeActions(const Document& document, const std::vector<Diagnostic>& diagnostics,
                           const nlohmann::json& range) {
  std::size_t from = offsetOf(document.text, range.at("start").at("line"), range.at("start").at("character"));
  std::size_t to = offsetOf(document.text, range.at("end").at("line"), range.at("end").at("character"));
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& d : diagnostics) {
    if (!d.span.valid()) continue;
    nlohmann::json where = rangeOf(document.text, d.span);
    std::size_t start = offsetOf(document.text, where["start"]["line"], where["start"]["character"]);
    std::size_t end = offsetOf(document.text, where["end"]["line"], where["end"]["character"]);
    if (end < from || start > to) continue;  // not in the range asked about
    for (const auto& help : d.helps) {
      constexpr std::string_view kOpen = "did you mean `";
      auto at = help.find(kOpen);
      auto close = at == std::string::npos ? std::string::npos : help.find("`?", at + kOpen.size());
      if (close == std::string::npos || close == at + kOpen.size()) continue;
      std::string replacement = help.substr(at + kOpen.size(), close - at - kOpen.size());
      nlohmann::json edit{{"range", where}, {"newText", replacement}};
      actions.push_back({{"title", "Replace with `" + replacement + "`"},
                         {"kind", "quickfix"},
                         {"isPreferred", true},
                         {"diagnostics", {{{"range", where}, {"code", d.id}, {"message", d.message}}}},
                         {"edit", {{"changes", {{document.uri, {edit}}}}}}});
    }
  }
  return actions;
}

}  // namespace sbx::lsp
