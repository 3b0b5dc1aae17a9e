#include "cli/help_text.h"

#include <sstream>

namespace sbx::cli {

namespace {

std::string trimmed(std::string_view s) {
  auto first = s.find_first_not_of(' ');
  if (first == std::string_view::npos) return "";
  return std::string(s.substr(first, s.find_last_not_of(' ') - first + 1));
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

// "  --format text|json     what it does": the option, its value (one space after the name),
// and the description (after a wider gap; on the next lines when the option is long).
HelpOption optionLine(const std::string& line) {
  HelpOption o;
  std::string rest = trimmed(line);
  auto nameEnd = rest.find(' ');
  o.name = rest.substr(0, nameEnd);
  if (nameEnd == std::string::npos) return o;
  if (rest[nameEnd + 1] != ' ') {
    auto valueEnd = rest.find(' ', nameEnd + 1);
    o.value = rest.substr(nameEnd + 1, valueEnd == std::string::npos ? std::string::npos : valueEnd - nameEnd - 1);
    rest = valueEnd == std::string::npos ? "" : rest.substr(valueEnd);
  } else {
    rest = rest.substr(nameEnd);
  }
  o.description = trimmed(rest);
  if (o.value.find('|') != std::string::npos) o.choices = split(o.value, '|');
  return o;
}

}  // namespace

bool HelpOption::takesPath() const {
  return takesDirectory() || value == "OUT" || value.ends_with("FILE") || value.ends_with("PATH") ||
         value.ends_with(".json") || value.ends_with(".dot");
}

bool HelpOption::takesDirectory() const {
  return value == "DIR" || value.ends_with("DIR");
}

HelpText readHelp(std::string_view help) {
  HelpText text;
  enum class Part { Usage, Description, Options } part = Part::Usage;
  std::string paragraph;
  auto endParagraph = [&] {
    if (!paragraph.empty()) text.description.push_back(paragraph);
    paragraph.clear();
  };
  for (const std::string& line : split(std::string(help), '\n')) {
    std::string t = trimmed(line);
    if (line.starts_with("Usage: ")) {
      text.usage.push_back(trimmed(line.substr(7)));
      continue;
    }
    if (part == Part::Usage && t.starts_with("sbxc ")) {  // a further usage line, aligned under the first
      text.usage.push_back(t);
      continue;
    }
    if (line.starts_with("Exit: ")) {
      endParagraph();
      text.exit = trimmed(line.substr(6));
      continue;
    }
    if (line == "Options:") {
      endParagraph();
      part = Part::Options;
      continue;
    }
    if (part == Part::Options) {
      if (t.starts_with("--")) {
        text.options.push_back(optionLine(line));
      } else if (!t.empty() && !text.options.empty()) {  // the description's next line
        auto& d = text.options.back().description;
        d += d.empty() ? t : " " + t;
      } else if (t.empty()) {
        part = Part::Description;  // text after the options is description again
      }
      continue;
    }
    part = Part::Description;
    if (t.empty())
      endParagraph();
    else
      paragraph += paragraph.empty() ? t : " " + t;
  }
  endParagraph();
  return text;
}

}  // namespace sbx::cli
