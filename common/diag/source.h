// Source files and spans. Every AST node and model element carries a Span so that any
// later stage (lint, explain, SARIF) can point at the exact declaration.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace sbx {

using FileId = std::uint32_t;
constexpr FileId kNoFile = 0xffffffffu;

// Lines and columns are 1-based; columns count Unicode code points, not bytes.
// The end position is exclusive.
struct Span {
  FileId file = kNoFile;
  std::uint32_t line = 0, col = 0, endLine = 0, endCol = 0;

  bool valid() const { return file != kNoFile && line > 0; }
  bool contains(const Span& other) const;
  friend bool operator==(const Span&, const Span&) = default;
};

Span join(const Span& first, const Span& last);

struct SourceFile {
  std::string path;  // as shown to the user
  std::string text;
  std::vector<std::uint32_t> lineStarts;              // byte offset of each line
  std::string_view line(std::uint32_t number) const;  // without the line break
  // A file that is not policy text (an import that names some other file): diagnostics give
  // positions in it, never its lines, which could be anything (a key, a password file).
  bool opaque = false;
};

// Owns every loaded file; FileIds stay valid for the manager's lifetime.
class SourceManager {
 public:
  FileId add(std::string path, std::string text);
  const SourceFile& file(FileId id) const { return files_.at(id); }
  void markOpaque(FileId id) { files_.at(id).opaque = true; }
  std::size_t size() const { return files_.size(); }

 private:
  std::deque<SourceFile> files_;
};

}  // namespace sbx
