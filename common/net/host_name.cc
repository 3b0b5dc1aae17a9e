#include "net/host_name.h"

#include <fmt/format.h>

namespace sbx {

namespace {

constexpr std::size_t kMaxName = 253, kMaxLabel = 63;

bool isLetterOrDigit(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Why byte `c` cannot be in a host name.
std::string badByte(unsigned char c) {
  if (c < 0x20 || c == 0x7f) return fmt::format("contains the control byte 0x{:02x}", c);
  if (c >= 0x80) return "is not ASCII; write an internationalised name as its IDNA A-labels (`xn--...`)";
  return fmt::format("contains `{}`; host names have letters, digits, `-` and `.`", static_cast<char>(c));
}

}  // namespace

std::optional<std::string> canonicalHostName(std::string_view text, std::string& why) {
  // Bytes first, over the whole text: a bad byte is the reason, whatever the lengths say.
  for (unsigned char c : text)
    if (!isLetterOrDigit(c) && c != '-' && c != '.') {
      why = badByte(c);
      return std::nullopt;
    }
  if (text.size() > 1 && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text == ".") {
    why = "is empty";
    return std::nullopt;
  }
  if (text.size() > kMaxName) {
    why = fmt::format("is longer than {} characters", kMaxName);
    return std::nullopt;
  }
  std::string name;
  name.reserve(text.size());
  std::string_view lastLabel;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('.', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view label = text.substr(start, end - start);
    if (label.empty()) {
      why = "has an empty label";
      return std::nullopt;
    }
    if (label.size() > kMaxLabel) {
      why = fmt::format("has a label longer than {} characters (`{}`)", kMaxLabel, label);
      return std::nullopt;
    }
    if (label.front() == '-' || label.back() == '-') {
      why = fmt::format("has a label starting or ending with `-` (`{}`)", label);
      return std::nullopt;
    }
    if (!name.empty()) name += '.';
    for (char c : label) name += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    lastLabel = label;
    start = end + 1;
  }
  // The URL standard's "ends in a number": decimal digits, or 0x and hex digits, which inet_aton
  // reads as (the last part of) an IPv4 address.
  bool hex = lastLabel.size() >= 2 && lastLabel[0] == '0' && (lastLabel[1] == 'x' || lastLabel[1] == 'X');
  std::string_view digits = hex ? lastLabel.substr(2) : lastLabel;
  if (digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") == std::string_view::npos) {
    why = hex ? fmt::format("ends in a hexadecimal label (`{}`), which resolvers read as an IPv4 address", lastLabel)
              : "ends in an all-numeric label, which resolvers read as an IPv4 address";
    return std::nullopt;
  }
  return name;
}

std::string printableHostText(std::string_view text) {
  std::string out;
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f || c == '`' || c == '\\')
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  return out;
}

}  // namespace sbx
