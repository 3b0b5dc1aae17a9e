#include "lsp/navigation.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "classifier/rule_table.h"
#include "frontend/embedded_stdlib.h"
#include "frontend/syscall_table.h"

namespace sbx::lsp {

namespace {

namespace fs = std::filesystem;

constexpr const char* kKeywords[] = {
#define SBX_KEYWORD(spelling, token) spelling,
#include "frontend/keywords.def"
#undef SBX_KEYWORD
};

struct Declaration {
  std::string kind, name;
  std::size_t offset;  // of the name
};

bool nameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The word of name bytes at `at` (empty when there is none).
std::string_view nameAt(std::string_view text, std::size_t at) {
  std::size_t end = at;
  while (end < text.size() && nameByte(text[end])) ++end;
  return text.substr(at, end - at);
}

std::size_t skipBlanks(std::string_view text, std::size_t at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
  return at;
}

// The named declarations of a policy's text, found by their shape (`task NAME`, `group NAME {`
// ...): a declaring keyword that starts a word outside comments and strings, then a name.
std::vector<Declaration> declarations(const std::string& text) {
  static const std::string_view kDeclaring[] = {"task", "profile", "group", "tool", "secret", "action"};
  std::vector<Declaration> out;
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"' || c == '\n')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
      continue;
    }
    if (c == '#') {
      i = std::min(text.find('\n', i), text.size());
      continue;
    }
    if (!nameByte(c) || (i > 0 && nameByte(text[i - 1]))) continue;
    std::string_view word = nameAt(text, i);
    for (std::string_view kind : kDeclaring) {
      if (word != kind) continue;
      std::size_t at = skipBlanks(text, i + word.size());
      std::string_view name = at > i + word.size() ? nameAt(text, at) : std::string_view{};
      // A declaration opens its block (an action may instead go on with `effect`): `uses secret
      // NAME` and `delegate NAME` only refer to one.
      std::size_t after = skipBlanks(text, at + name.size());
      bool opens = after < text.size() && (text[after] == '{' || (kind == "action" && nameAt(text, after) == "effect"));
      if (!name.empty() && name.front() != '-' && opens) out.push_back({std::string(kind), std::string(name), at});
    }
    i += word.size() - 1;
  }
  return out;
}

struct Import {
  std::string alias;
  std::string path;  // a file on disk; empty for the stdlib
  std::string text;
};

// The document's imports, each with the alias its names are qualified by and its text.
std::vector<Import> imports(const Document& document) {
  std::vector<Import> out;
  std::istringstream lines(document.text);
  for (std::string line; std::getline(lines, line);) {
    std::string_view rest = line;
    rest.remove_prefix(std::min(rest.size(), skipBlanks(rest, 0)));
    if (!rest.starts_with("import ") && !rest.starts_with("import\t")) continue;
    rest.remove_prefix(skipBlanks(rest, 6));
    Import i;
    std::size_t used = 0;
    if (rest.starts_with("std.")) {
      i.alias = std::string(nameAt(rest, 4));
      used = 4 + i.alias.size();
      for (const auto& f : frontend::embeddedStdlibFiles())
        if (f.path == i.alias + ".sbx") i.text = std::string(f.contents);
    } else if (rest.starts_with('"')) {
      auto close = rest.find('"', 1);
      if (close == std::string_view::npos) continue;
      std::string file(rest.substr(1, close - 1));
      used = close + 1;
      i.path = (fs::path(document.path).parent_path() / file).lexically_normal().string();
      i.alias = fs::path(file).stem().string();
      std::ifstream in(i.path);
      std::ostringstream text;
      text << in.rdbuf();
      i.text = text.str();
    } else {
      continue;
    }
    std::size_t at = skipBlanks(rest, used);
    if (rest.substr(at).starts_with("as ")) {
      std::string_view alias = nameAt(rest, skipBlanks(rest, at + 3));
      if (!alias.empty()) i.alias = std::string(alias);
    }
    out.push_back(std::move(i));
  }
  return out;
}

nlohmann::json locationOf(const std::string& uri, const std::string& text, std::size_t offset, std::size_t length) {
  std::uint32_t line = 0, column = 0;
  lineAndColumn(text, offset, line, column);
  return {{"uri", uri},
          {"range", rangeOf(text, Span{0, line, column, line, column + static_cast<std::uint32_t>(length)})}};
}

std::string firstLineAt(const std::string& text, std::size_t offset) {
  auto start = text.rfind('\n', offset);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, text.find('\n', offset) - start);
}

// The declaration `word` names (`name`, `alias.name`, `@alias.name`): its import (or none for
// the document) and the declaration.
std::optional<std::pair<const Import*, Declaration>> resolveName(const Document& document,
                                                                 const std::vector<Import>& found, std::string word) {
  if (word.starts_with('@')) word.erase(0, 1);
  auto dot = word.find('.');
  if (dot == std::string::npos) {
    for (const auto& d : declarations(document.text))
      if (d.name == word) return std::pair{nullptr, d};
    return std::nullopt;
  }
  std::string alias = word.substr(0, dot), name = word.substr(dot + 1);
  for (const auto& i : found)
    if (i.alias == alias)
      for (const auto& d : declarations(i.text))
        if (d.name == name) return std::pair{&i, d};
  return std::nullopt;
}

std::string summaryOf(const Diagnostic& d) {
  for (const auto& r : classifier::rules())
    if (r.id() == d.id)
      return fmt::format("{} (`{}`): {} Rule page: docs/rules/{}.md", r.id(), r.name, r.summary, r.id());
  for (const auto& c : frontEndCodes())
    if (codeId(c.number) == d.id) return fmt::format("{} (`{}`): {}", d.id, c.name, c.summary);
  return d.id;
}

}  // namespace

nlohmann::json hover(const Document& document, const std::vector<Diagnostic>& diagnostics,
                     const nlohmann::json& position) {
  std::size_t offset = offsetOf(document.text, position.at("line"), position.at("character"));
  std::uint32_t line = 0, column = 0;
  lineAndColumn(document.text, offset, line, column);
  // The narrowest diagnostic under the cursor: one on this line speaks for itself; one over a
  // whole block (a task's missing limits) is added below what the word is.
  const Diagnostic* covering = nullptr;
  for (const auto& d : diagnostics) {
    const Span& s = d.span;
    bool inside = s.valid() && std::tie(s.line, s.col) <= std::tie(line, column) &&
                  std::tie(line, column) < std::tie(s.endLine, s.endCol);
    if (inside && (!covering || covering->span.contains(s))) covering = &d;
  }
  auto diagnosticText = [](const Diagnostic& d) { return fmt::format("**{}**\n\n{}", d.message, summaryOf(d)); };
  if (covering && covering->span.line == covering->span.endLine)
    return {{"contents", {{"kind", "markdown"}, {"value", diagnosticText(*covering)}}},
            {"range", rangeOf(document.text, covering->span)}};
  std::size_t start = 0;
  std::string word = wordAt(document.text, offset, start);
  std::string text;
  for (const char* k : kKeywords)
    if (!word.empty() && word == k)
      text = fmt::format("`{}`: a keyword of the policy language (docs/language.md)", word);
  if (text.empty() && !word.empty() && frontend::syscallKnown(word)) text = fmt::format("`{}`: a system call", word);
  if (text.empty() && !word.empty()) {
    auto found = imports(document);
    if (auto declared = resolveName(document, found, word)) {
      const auto& [from, d] = *declared;
      const std::string& source = from ? from->text : document.text;
      text =
          fmt::format("{} `{}`{}\n\n```sbx\n{}\n```", d.kind, d.name,
                      from ? fmt::format(" (from `{}`)", from->path.empty() ? "std." + from->alias : from->path) : "",
                      firstLineAt(source, d.offset));
    }
  }
  if (covering) text += (text.empty() ? "" : "\n\n---\n\n") + diagnosticText(*covering);
  if (text.empty()) return nullptr;
  return {{"contents", {{"kind", "markdown"}, {"value", text}}}};
}

nlohmann::json completion(const Document& document, const nlohmann::json& position) {
  std::size_t offset = offsetOf(document.text, position.at("line"), position.at("character"));
  std::size_t start = 0;
  std::string word = wordAt(document.text, offset, start).substr(0, offset - std::min(offset, start));
  nlohmann::json items = nlohmann::json::array();
  std::set<std::string> seen;
  auto add = [&](const std::string& label, int kind, const std::string& detail) {
    if (label.starts_with(word) && seen.insert(label).second)
      items.push_back({{"label", label}, {"kind", kind}, {"detail", detail}});
  };
  constexpr int kKeyword = 14, kFunction = 3, kModule = 9, kClass = 7, kVariable = 6;
  bool group = word.starts_with('@');
  for (const auto& i : imports(document))
    for (const auto& d : declarations(i.text)) {
      if (d.kind == "group") add("@" + i.alias + "." + d.name, kModule, "group of " + i.alias);
      if (d.kind == "profile" || d.kind == "task") add(i.alias + "." + d.name, kClass, d.kind + " of " + i.alias);
    }
  for (const auto& d : declarations(document.text))
    add(d.kind == "group" ? "@" + d.name : d.name, d.kind == "group" ? kModule : kVariable, d.kind);
  if (!group) {
    for (const char* k : kKeywords) add(k, kKeyword, "keyword");
    for (const auto& s : frontend::knownSyscalls()) add(s, kFunction, "system call");
  }
  return {{"isIncomplete", false}, {"items", items}};
}

nlohmann::json definition(const Document& document, const nlohmann::json& position) {
  std::size_t offset = offsetOf(document.text, position.at("line"), position.at("character"));
  std::size_t start = 0;
  std::string word = wordAt(document.text, offset, start);
  auto found = imports(document);
  auto declared = resolveName(document, found, word);
  if (!declared) return nullptr;
  const auto& [from, d] = *declared;
  if (!from) return locationOf(document.uri, document.text, d.offset, d.name.size());
  if (from->path.empty()) return nullptr;  // the stdlib is compiled into sbxc: no file to open
  return locationOf(uriOfPath(from->path), from->text, d.offset, d.name.size());
}

}  // namespace sbx::lsp
