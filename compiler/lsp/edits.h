// Edits the language server offers: the document formatted as `sbxc fmt` formats it, and the
// fixes its diagnostics carry ("did you mean `X`?" replaces the span with X).
#pragma once
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "diag/diagnostic.h"
#include "lsp/document.h"

namespace sbx::lsp {

// One edit replacing the whole text, none when it is formatted already; nullopt when it does not parse.
std::optional<nlohmann::json> formatting(const Document& document);
nlohmann::json codeActions(const Document& document, const std::vector<Diagnostic>& diagnostics,
                           const nlohmann::json& range);

}  // namespace sbx::lsp
