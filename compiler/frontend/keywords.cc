#include "frontend/keywords.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "SbxLexer.h"

namespace sbx::frontend {
namespace {

using L = grammar::SbxLexer;

struct Keyword {
  std::string_view spelling;
  std::size_t type;
};

constexpr auto kKeywords = std::to_array<Keyword>({
#define SBX_KEYWORD(spelling, token) {spelling, L::token},
#include "frontend/keywords.def"
#undef SBX_KEYWORD
});

// Spellings indexed by token type: the parser's error reporting asks of every token type it
// expected whether it is a keyword, which a search of the table made a fifth of a fuzzed input's cost.
constexpr std::size_t kLastKeywordType = [] {
  std::size_t last = 0;
  for (const auto& k : kKeywords) last = std::max(last, k.type);
  return last;
}();
constexpr auto kSpellingByType = [] {
  std::array<std::string_view, kLastKeywordType + 1> byType{};
  for (const auto& k : kKeywords) byType[k.type] = k.spelling;
  return byType;
}();

}  // namespace

std::optional<std::size_t> keywordType(std::string_view spelling) {
  static const auto* index = [] {
    auto* map = new std::unordered_map<std::string_view, std::size_t>();
    for (const auto& k : kKeywords) map->emplace(k.spelling, k.type);
    return map;
  }();
  auto it = index->find(spelling);
  if (it == index->end()) return std::nullopt;
  return it->second;
}

std::string_view keywordSpelling(std::size_t tokenType) {
  return tokenType < kSpellingByType.size() ? kSpellingByType[tokenType] : std::string_view{};
}

bool isKeyword(std::size_t tokenType) {
  return !keywordSpelling(tokenType).empty();
}

}  // namespace sbx::frontend
