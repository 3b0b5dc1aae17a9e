#include "frontend/keywords.h"

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
  for (const auto& k : kKeywords)
    if (k.type == tokenType) return k.spelling;
  return {};
}

bool isKeyword(std::size_t tokenType) {
  return !keywordSpelling(tokenType).empty();
}

}  // namespace sbx::frontend
