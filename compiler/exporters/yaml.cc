#include "exporters/yaml.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace sbx::exporters {

namespace {

using Json = nlohmann::ordered_json;

std::string lowerCase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Words YAML 1.1 (Go's yaml.v2, PyYAML) reads as booleans or null when unquoted.
bool isReservedWord(std::string_view text) {
  static constexpr std::array<std::string_view, 9> kWords = {"y",     "yes", "n",   "no",  "true",
                                                             "false", "on",  "off", "null"};
  return std::find(kWords.begin(), kWords.end(), lowerCase(text)) != kWords.end();
}

// Plain (unquoted) only when no reader could take it for anything but this string: it starts
// with a letter or '/', so it is no number, date, alias, tag or indicator; its characters are
// names, paths and `image:tag`; a colon never ends it (that would open a mapping).
bool isPlainSafe(std::string_view text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text.front())) || text.front() == '/')) return false;
  if (text.back() == ':' || isReservedWord(text)) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '/' || c == '-' || c == ':';
  });
}

std::string quoted(const std::string& text) {
  // A JSON string is a YAML double-quoted scalar: every JSON escape is also a YAML one.
  return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string scalar(const Json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return isPlainSafe(text) ? text : quoted(text);
  }
  if (value.is_object()) return "{}";  // only empty ones reach here
  if (value.is_array()) return "[]";
  return value.dump();
}

// A literal block keeps a multi-line string readable (a profile in a ConfigMap); control
// characters other than newline and tab need the quoted form.
bool suitsLiteralBlock(const std::string& text) {
  if (text.find('\n') == std::string::npos) return false;
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f;
  });
}

std::string literalBlock(const std::string& text, std::size_t indent) {
  std::size_t trailing = 0;
  while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n') ++trailing;
  std::string header = "|";
  // A first line that starts with a space would set the block's indentation: state it.
  if (text.front() == ' ' || text.front() == '\n') header += "2";
  header += trailing == 0 ? "-" : trailing == 1 ? "" : "+";
  std::string out = header + "\n";
  std::string body = text.substr(0, text.size() - trailing);
  std::string pad(indent, ' ');
  std::size_t at = 0;
  while (at <= body.size()) {
    std::size_t end = body.find('\n', at);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + at, end - at);
    out += line.empty() ? "\n" : pad + std::string(line) + "\n";
    at = end + 1;
  }
  for (std::size_t i = 1; i < trailing; ++i) out += "\n";
  return out;
}

void writeValue(const Json& value, std::size_t indent, std::string& out);

// The entries of a mapping, each line indented by `indent`.
void writeMapping(const Json& map, std::size_t indent, std::string& out) {
  for (const auto& [key, value] : map.items()) {
    out += std::string(indent, ' ') + scalar(Json(key)) + ":";
    writeValue(value, indent, out);
  }
}

// The items of a sequence, each `- ` indented by `indent`; a mapping item starts on the dash's line.
void writeSequence(const Json& list, std::size_t indent, std::string& out) {
  for (const auto& item : list) {
    std::string nested;
    if (item.is_object() && !item.empty()) {
      writeMapping(item, indent + 2, nested);
      out += std::string(indent, ' ') + "- " + nested.substr(indent + 2);
    } else if (item.is_array() && !item.empty()) {
      writeSequence(item, indent + 2, nested);
      out += std::string(indent, ' ') + "- " + nested.substr(indent + 2);
    } else {
      out += std::string(indent, ' ') + "-";
      writeValue(item, indent, out);
    }
  }
}

// What follows `key:` or `-`: a scalar on the same line, or the nested block on the next lines.
void writeValue(const Json& value, std::size_t indent, std::string& out) {
  if (value.is_object() && !value.empty()) {
    out += "\n";
    writeMapping(value, indent + 2, out);
  } else if (value.is_array() && !value.empty()) {
    out += "\n";
    writeSequence(value, indent + 2, out);
  } else if (value.is_string() && suitsLiteralBlock(value.get_ref<const std::string&>())) {
    out += " " + literalBlock(value.get_ref<const std::string&>(), indent + 2);
  } else {
    out += " " + scalar(value) + "\n";
  }
}

}  // namespace

std::string toYaml(const Json& value) {
  std::string out;
  if (value.is_object() && !value.empty())
    writeMapping(value, 0, out);
  else if (value.is_array() && !value.empty())
    writeSequence(value, 0, out);
  else if (value.is_string() && suitsLiteralBlock(value.get_ref<const std::string&>()))
    out = literalBlock(value.get_ref<const std::string&>(), 2);
  else
    out = scalar(value) + "\n";
  return out;
}

}  // namespace sbx::exporters
