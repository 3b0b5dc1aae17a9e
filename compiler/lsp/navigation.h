// Hover, completion and go to definition in a .sbx document.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "diag/diagnostic.h"
#include "lsp/document.h"

namespace sbx::lsp {

// A diagnostic under the cursor (its code, summary and rule page), else what the word is: a
// keyword, a syscall, or a name declared in the document or a file it imports.
nlohmann::json hover(const Document& document, const std::vector<Diagnostic>& diagnostics,
                     const nlohmann::json& position);
// Keywords, syscall names, the stdlib's groups (`@syscalls.`) and profiles, and the names the
// document and its imports declare.
nlohmann::json completion(const Document& document, const nlohmann::json& position);
// Where the name under the cursor is declared: in the document, a file it imports, or the stdlib.
nlohmann::json definition(const Document& document, const nlohmann::json& position);

}  // namespace sbx::lsp
