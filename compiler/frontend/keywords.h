// The language's reserved words (keywords.def): the lexer reads them as IDENT and this table
// gives them their token types.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace sbx::frontend {

std::optional<std::size_t> keywordType(std::string_view spelling);
std::string_view keywordSpelling(std::size_t tokenType);  // empty when not a keyword
bool isKeyword(std::size_t tokenType);

}  // namespace sbx::frontend
