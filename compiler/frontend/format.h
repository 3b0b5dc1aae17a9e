// `sbxc fmt`: the canonical layout of a policy. One statement per line, two-space indentation,
// single spaces between tokens, lists wrapped at 100 columns, at most one blank line kept where
// the author had one, comments preserved (own-line and trailing). Idempotent.
#pragma once
#include <optional>
#include <string>

#include "diag/diagnostic.h"

namespace sbx::frontend {

// Returns the formatted text, or nullopt (with diagnostics) when the text does not parse.
std::optional<std::string> format(FileId file, std::string_view text, DiagnosticSink& diags);

}  // namespace sbx::frontend
