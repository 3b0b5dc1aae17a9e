// Checks the raw text before lexing: valid UTF-8, and no hidden-text tricks. Bidirectional
// controls and invisible characters can make a policy read differently to a reviewer than to
// sbxc (Trojan Source, CVE-2021-42574), so they are errors anywhere, comments included.
#pragma once
#include <set>
#include <utility>

#include "diag/diagnostic.h"

namespace sbx::frontend {

struct TextCheck {
  bool lexable = true;                                         // false: not UTF-8, the lexer must not see it
  std::set<std::pair<std::uint32_t, std::uint32_t>> reported;  // (line, col) already diagnosed
};

TextCheck checkText(FileId file, std::string_view text, DiagnosticSink& diags);

}  // namespace sbx::frontend
