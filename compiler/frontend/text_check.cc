#include "frontend/text_check.h"

#include <fmt/format.h>

namespace sbx::frontend {
namespace {

bool isBidiControl(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C;
}

bool isInvisible(char32_t c) {
  return (c >= 0x200B && c <= 0x200D) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF || c == 0x00AD || c == 0x180E ||
         c == 0x034F || c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 || (c >= 0xFE00 && c <= 0xFE0F) ||
         (c >= 0xE0000 && c <= 0xE007F) || (c >= 0xE0100 && c <= 0xE01EF);
}

// Decodes one UTF-8 sequence; returns its length, 0 when malformed (overlong, surrogate, > U+10FFFF).
std::size_t decode(std::string_view text, std::size_t i, char32_t& out) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  std::size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || b0 > 0xF4 || i + len > text.size()) return 0;
  char32_t c = b0 & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  out = c;
  return len;
}

}  // namespace

TextCheck checkText(FileId file, std::string_view text, DiagnosticSink& diags) {
  TextCheck result;
  std::uint32_t line = 1, col = 1;
  for (std::size_t i = 0; i < text.size();) {
    unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7F) {  // printable ASCII: the common case
      ++col;
      ++i;
      continue;
    }
    char32_t c = 0;
    std::size_t len = decode(text, i, c);
    Span span{file, line, col, line, col + 1};
    if (len == 0) {
      diags
          .report(Code::InvalidUtf8, span,
                  fmt::format("invalid UTF-8 byte 0x{:02X}", static_cast<unsigned char>(text[i])))
          .help("save the file as UTF-8");
      result.lexable = false;
      return result;  // positions after this point are meaningless
    }
    if (isBidiControl(c)) {
      diags
          .report(Code::BidiControlCharacter, span,
                  fmt::format("bidirectional control character U+{:04X}", static_cast<unsigned>(c)))
          .note("it can make the text shown to a reviewer differ from the text sbxc reads")
          .help("delete it; write right-to-left text without control characters");
      result.reported.insert({line, col});
    } else if (isInvisible(c)) {
      diags
          .report(Code::InvisibleCharacter, span, fmt::format("invisible character U+{:04X}", static_cast<unsigned>(c)))
          .note("invisible characters can hide or disguise text from a reviewer")
          .help("delete it");
      result.reported.insert({line, col});
    } else if ((c < 0x20 && c != '\t' && c != '\n' && !(c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) ||
               c == 0x7F || (c >= 0x80 && c < 0xA0)) {
      diags.report(Code::ControlCharacter, span, fmt::format("control character U+{:04X}", static_cast<unsigned>(c)))
          .help("delete it; only tab and line feed (optionally preceded by carriage return) are allowed");
      result.reported.insert({line, col});
    }
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += len;
  }
  return result;
}

}  // namespace sbx::frontend
