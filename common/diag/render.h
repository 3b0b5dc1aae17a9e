// Renders diagnostics for people (compiler-style text, optional colour) and for tools (JSON).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diag/diagnostic.h"

namespace sbx {

struct RenderOptions {
  bool color = false;
};

// file:line:col: error[SBX0042]: message, the source line, a caret under the span, notes, helps.
std::string renderText(const Diagnostic& d, const SourceManager& sources, const RenderOptions& options);
std::string renderSummary(std::size_t errors, std::size_t warnings, const RenderOptions& options);

nlohmann::ordered_json toJson(const Diagnostic& d, const SourceManager& sources);
nlohmann::ordered_json spanToJson(const Span& span, const SourceManager& sources);

// Colour only on a terminal, never when NO_COLOR is set (https://no-color.org).
bool colorWanted(int fd, const std::string& mode);

// `text` with control, bidirectional and invisible characters and invalid bytes escaped.
std::string printable(std::string_view text);

}  // namespace sbx
