// The structure-aware half of fuzz_frontend's mutations (LLVMFuzzerCustomMutator).
//
// libFuzzer's own mutations work on bytes: most of what they make dies in the lexer. This one
// splits the input into the language's tokens (names, strings, numbers, punctuation, comments,
// white space) and lines, and edits at that level: a token replaced by a keyword or punctuation
// of the grammar, a token or a line (usually one statement) duplicated, deleted, moved or
// copied from elsewhere, a block wrapped around a line. Those are the shapes hostile policies
// are made of (long chains, diamonds, deep nesting, long lists). Half of the mutations are still
// libFuzzer's (LLVMFuzzerMutate, which also applies the -dict entries), so bytes the lexer has
// never seen keep coming. SBX_FUZZ_BYTES_ONLY=1 turns this mutator off.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t maxSize);

namespace {

constexpr std::string_view kKeywords[] = {
#define SBX_KEYWORD(spelling, token) spelling,
#include "frontend/keywords.def"
#undef SBX_KEYWORD
};

// The literal tokens of grammar/SbxLexer.g4, and small fragments that open or close a
// statement or block.
constexpr std::string_view kPunctuation[] = {"{",  "}", "(", ")", ",", ".", ":",  "@", "==", "!=", "<=",
                                             ">=", "<", ">", "=", "&", "|", "\n", " ", "\"", "#",  "@std.syscalls."};

constexpr std::string_view kValues[] = {"\"x\"",      "\"/usr\"",   "\"*.example.com:443\"",
                                        "0x7fffffff", "64",         "10m",
                                        "512MiB",     "2027-01-31", "read",
                                        "@g",         "workspace",  "EPERM",
                                        "arg0"};

bool isWordByte(unsigned char c) {
  return std::isalnum(c) != 0 || c == '_' || c == '-';
}

// The input cut into tokens of the lexer's shapes; joining them gives the input back.
std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (isWordByte(c)) {
      while (i < text.size() && isWordByte(static_cast<unsigned char>(text[i]))) ++i;
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i)
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
      if (i < text.size() && text[i] == '"') ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ' ' || c == '\t') {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    } else {
      ++i;
    }
    out.push_back(text.substr(start, i - start));
  }
  return out;
}

// The input cut after each newline.
std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

template <typename T, std::size_t N>
std::string_view pick(const T (&table)[N], std::minstd_rand& random) {
  return table[random() % N];
}

std::string join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (std::string_view p : parts) out += p;
  return out;
}

// One edit of the token or line sequence `parts` (never empty).
std::string edit(std::vector<std::string_view> parts, bool byLine, std::minstd_rand& random) {
  std::size_t at = random() % parts.size(), other = random() % parts.size();
  std::string_view chosen = parts[at], elsewhere = parts[other];  // copies: inserts move the vector
  std::string inserted;
  switch (random() % (byLine ? 5 : 7)) {
    case 0:  // delete
      parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at));
      break;
    case 1:  // duplicate in place, up to 16 times: long lists and chains
      parts.insert(parts.begin() + static_cast<std::ptrdiff_t>(at), 1 + random() % 16, chosen);
      break;
    case 2:  // copy one elsewhere
      parts.insert(parts.begin() + static_cast<std::ptrdiff_t>(at), elsewhere);
      break;
    case 3:  // swap two
      std::swap(parts[at], parts[other]);
      break;
    case 4:  // a line or token wrapped in a block: deeper nesting
      inserted = std::string(pick(kKeywords, random)) + " x {\n" + std::string(parts[at]) + "\n}\n";
      parts[at] = inserted;
      break;
    case 5:  // a keyword instead of a token
      parts[at] = pick(kKeywords, random);
      break;
    default:  // punctuation or a value instead of, or before, a token
      inserted = std::string(random() % 2 ? pick(kPunctuation, random) : pick(kValues, random));
      if (random() % 2) inserted += parts[at];
      parts[at] = inserted;
      break;
  }
  return join(parts);
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t maxSize,
                                               unsigned int seed) {
  static const bool bytesOnly = std::getenv("SBX_FUZZ_BYTES_ONLY") != nullptr;
  std::minstd_rand random(seed);
  if (bytesOnly || size == 0 || random() % 2 == 0) return LLVMFuzzerMutate(data, size, maxSize);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool byLine = random() % 3 == 0;
  std::vector<std::string_view> parts = byLine ? lines(text) : tokens(text);
  std::string mutated = edit(std::move(parts), byLine, random);
  if (mutated.size() > maxSize) mutated.resize(maxSize);
  std::memcpy(data, mutated.data(), mutated.size());
  return mutated.size();
}
