#include "diag/source.h"

#include <tuple>

namespace sbx {

bool Span::contains(const Span& other) const {
  if (file != other.file || !valid() || !other.valid()) return false;
  return std::tie(line, col) <= std::tie(other.line, other.col) &&
         std::tie(other.endLine, other.endCol) <= std::tie(endLine, endCol);
}

Span join(const Span& first, const Span& last) {
  Span s = first;
  s.endLine = last.endLine;
  s.endCol = last.endCol;
  return s;
}

std::string_view SourceFile::line(std::uint32_t number) const {
  if (number == 0 || number > lineStarts.size()) return {};
  std::size_t begin = lineStarts[number - 1];
  std::size_t end = number < lineStarts.size() ? lineStarts[number] : text.size();
  std::string_view v(text.data() + begin, end - begin);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

FileId SourceManager::add(std::string path, std::string text) {
  SourceFile f{std::move(path), std::move(text), {0}};
  for (std::size_t i = 0; i < f.text.size(); ++i) {
    // Lines end at '\n' only, as in the lexer; a lone '\r' is reported as a control character.
    if (f.text[i] == '\n' && i + 1 < f.text.size()) f.lineStarts.push_back(static_cast<std::uint32_t>(i + 1));
  }
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

}  // namespace sbx
