// Units (durations, sizes), integers, dates, paths, named constants and their formatting; see
// values.h for the other value checks.
#include "frontend/values.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace sbx::frontend {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr std::array kDurationUnits{Unit{"d", 86'400'000}, Unit{"h", 3'600'000}, Unit{"m", 60'000}, Unit{"s", 1'000},
                                    Unit{"ms", 1}};
constexpr std::array kSizeUnits{Unit{"B", 1},
                                Unit{"KB", 1'000},
                                Unit{"MB", 1'000'000},
                                Unit{"GB", 1'000'000'000},
                                Unit{"TB", 1'000'000'000'000},
                                Unit{"KiB", 1ull << 10},
                                Unit{"MiB", 1ull << 20},
                                Unit{"GiB", 1ull << 30},
                                Unit{"TiB", 1ull << 40}};

struct Alias {
  std::string_view written;
  std::string_view meant;
};
constexpr std::array kDurationAliases{
    Alias{"sec", "s"}, Alias{"secs", "s"}, Alias{"second", "s"}, Alias{"seconds", "s"},
    Alias{"min", "m"}, Alias{"mins", "m"}, Alias{"minute", "m"}, Alias{"minutes", "m"},
    Alias{"hr", "h"},  Alias{"hrs", "h"},  Alias{"hour", "h"},   Alias{"hours", "h"},
    Alias{"day", "d"}, Alias{"days", "d"}, Alias{"msec", "ms"},  Alias{"millis", "ms"}};
constexpr std::array kSizeAliases{Alias{"k", "KB"},    Alias{"K", "KiB"},   Alias{"kb", "KB"},   Alias{"Ki", "KiB"},
                                  Alias{"M", "MiB"},   Alias{"mb", "MB"},   Alias{"Mi", "MiB"},  Alias{"G", "GiB"},
                                  Alias{"gb", "GB"},   Alias{"Gi", "GiB"},  Alias{"T", "TiB"},   Alias{"Ti", "TiB"},
                                  Alias{"kib", "KiB"}, Alias{"mib", "MiB"}, Alias{"gib", "GiB"}, Alias{"b", "B"}};

template <std::size_t N>
std::optional<std::string_view> aliasFor(std::string_view unit, const std::array<Alias, N>& aliases) {
  for (const auto& a : aliases)
    if (a.written == unit) return a.meant;
  return std::nullopt;
}

template <std::size_t N>
std::vector<std::string> unitNames(const std::array<Unit, N>& units) {
  std::vector<std::string> names;
  for (const auto& u : units) names.emplace_back(u.name);
  return names;
}

template <std::size_t N>
std::string unitList(const std::array<Unit, N>& units) {
  std::string out;
  for (const auto& u : units) out += (out.empty() ? "" : ", ") + std::string(u.name);
  return out;
}

bool mulOverflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return __builtin_mul_overflow(a, b, &out);
}
bool addOverflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return __builtin_add_overflow(a, b, &out);
}

// Splits "1h30m" into (1,"h"), (30,"m"). Returns false on a malformed number.
bool splitQuantity(std::string_view text, std::vector<std::pair<std::string, std::string>>& parts) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    std::size_t unitStart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    if (start == unitStart) return false;
    parts.emplace_back(std::string(text.substr(start, unitStart - start)),
                       std::string(text.substr(unitStart, i - unitStart)));
  }
  return true;
}

}  // namespace

std::optional<std::uint64_t> parseDuration(std::string_view text, Span span, DiagnosticSink& diags) {
  std::vector<std::pair<std::string, std::string>> parts;
  if (!splitQuantity(text, parts) || parts.empty()) {
    diags.report(Code::InvalidDuration, span, fmt::format("`{}` is not a duration", text))
        .help("write a number with a unit, e.g. 30s, 10m, 1h30m");
    return std::nullopt;
  }
  std::uint64_t total = 0;
  std::size_t lastUnit = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const auto& [number, unit] = parts[p];
    if (unit.empty()) {
      diags.report(Code::InvalidDuration, span, fmt::format("duration `{}` has a number without a unit", text))
          .help(fmt::format("units are {}", unitList(kDurationUnits)));
      return std::nullopt;
    }
    if (number.find('.') != std::string::npos) {
      diags.report(Code::InvalidDuration, span, fmt::format("duration `{}` has a fraction", text))
          .help("combine whole units instead, e.g. 1h30m for one and a half hours");
      return std::nullopt;
    }
    std::size_t u = 0;
    while (u < kDurationUnits.size() && kDurationUnits[u].name != unit) ++u;
    if (u == kDurationUnits.size()) {
      auto& d = diags.report(Code::InvalidDuration, span, fmt::format("unknown duration unit `{}`", unit));
      std::string_view written = unit;  // (structured bindings cannot be captured before C++20's P1091 in clang 14)
      bool sizeUnit =
          std::any_of(kSizeUnits.begin(), kSizeUnits.end(), [&](const Unit& s) { return s.name == written; });
      if (sizeUnit)
        d.help(fmt::format("`{}` is a size; this place takes a duration such as {}s", unit, number));
      else if (unit == "w" || unit == "week" || unit == "weeks") {
        std::uint64_t weeks = 0, days = 0;
        auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), weeks);
        bool ok = ec == std::errc() && ptr == number.data() + number.size() && !mulOverflows(weeks, 7, days);
        d.help(ok ? fmt::format("there is no week unit; write {}d", days)
                  : std::string("there is no week unit; write days (d)"));
      } else if (auto a = aliasFor(unit, kDurationAliases))
        d.help(fmt::format("write `{}{}`", number, *a));
      else if (auto m = closestMatch(unit, unitNames(kDurationUnits)))
        d.help(fmt::format("did you mean `{}`?", *m));
      d.note(fmt::format("duration units are {}", unitList(kDurationUnits)));
      return std::nullopt;
    }
    if (p > 0 && u <= lastUnit) {
      diags
          .report(Code::InvalidDuration, span,
                  fmt::format("duration `{}` repeats a unit or lists units out of order", text))
          .help("write units from largest to smallest, each once, e.g. 1h30m");
      return std::nullopt;
    }
    lastUnit = u;
    std::uint64_t n = 0, scaled = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (ec != std::errc() || ptr != number.data() + number.size() ||
        mulOverflows(n, kDurationUnits[u].factor, scaled) || addOverflows(total, scaled, total)) {
      diags.report(Code::InvalidDuration, span, fmt::format("duration `{}` is too large", text));
      return std::nullopt;
    }
  }
  if (total == 0) {
    diags.report(Code::InvalidDuration, span, "a duration of zero is not allowed")
        .help("give a positive duration, e.g. 30s");
    return std::nullopt;
  }
  return total;
}

std::optional<std::uint64_t> parseSize(std::string_view text, Span span, DiagnosticSink& diags) {
  std::vector<std::pair<std::string, std::string>> parts;
  if (!splitQuantity(text, parts) || parts.size() != 1) {
    diags.report(Code::InvalidSize, span, fmt::format("`{}` is not a size", text))
        .help("write a number with one unit, e.g. 512MiB or 2GiB");
    return std::nullopt;
  }
  const auto& [number, unit] = parts[0];
  if (number.find('.') != std::string::npos) {
    diags.report(Code::InvalidSize, span, fmt::format("size `{}` has a fraction", text))
        .help("use a smaller unit, e.g. 1536MiB instead of 1.5GiB");
    return std::nullopt;
  }
  std::size_t u = 0;
  while (u < kSizeUnits.size() && kSizeUnits[u].name != unit) ++u;
  if (u == kSizeUnits.size()) {
    auto& d = diags.report(Code::InvalidSize, span, fmt::format("unknown size unit `{}`", unit));
    std::string_view written = unit;  // (structured bindings cannot be captured in clang 14)
    bool durationUnit =
        std::any_of(kDurationUnits.begin(), kDurationUnits.end(), [&](const Unit& t) { return t.name == written; });
    if (durationUnit)
      d.help(fmt::format("`{}` is a duration unit; sizes use MiB or MB, e.g. {}MiB", unit, number));
    else if (auto a = aliasFor(unit, kSizeAliases))
      d.help(fmt::format("write `{}{}`", number, *a));
    else if (auto m = closestMatch(unit, unitNames(kSizeUnits)))
      d.help(fmt::format("did you mean `{}`?", *m));
    d.note(fmt::format("size units are {}", unitList(kSizeUnits)));
    return std::nullopt;
  }
  std::uint64_t n = 0, bytes = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (ec != std::errc() || ptr != number.data() + number.size() || mulOverflows(n, kSizeUnits[u].factor, bytes)) {
    diags.report(Code::InvalidSize, span, fmt::format("size `{}` is too large", text));
    return std::nullopt;
  }
  if (bytes == 0) {
    diags.report(Code::InvalidSize, span, "a size of zero is not allowed").help("give a positive size, e.g. 64MiB");
    return std::nullopt;
  }
  return bytes;
}

std::optional<std::uint64_t> parseInteger(std::string_view text, Span span, DiagnosticSink& diags) {
  int base = 10;
  std::string_view digits = text;
  if (text.size() > 2 && text[0] == '0') {
    switch (text[1]) {
      case 'x':
        base = 16;
        digits.remove_prefix(2);
        break;
      case 'o':
        base = 8;
        digits.remove_prefix(2);
        break;
      case 'b':
        base = 2;
        digits.remove_prefix(2);
        break;
      default:
        break;
    }
  }
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    diags.report(Code::OutOfRange, span, fmt::format("`{}` does not fit in 64 bits", text));
    return std::nullopt;
  }
  return value;
}

std::optional<model::Date> parseDate(std::string_view text, Span span, DiagnosticSink& diags) {
  model::Date date;
  auto field = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    std::from_chars(text.data() + pos, text.data() + pos + len, v);
    return v;
  };
  date.year = field(0, 4);
  date.month = field(5, 2);
  date.day = field(8, 2);
  static constexpr std::array<int, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (date.year % 4 == 0 && date.year % 100 != 0) || date.year % 400 == 0;
  bool valid = date.month >= 1 && date.month <= 12 && date.day >= 1 &&
               date.day <= kDays[static_cast<std::size_t>(date.month - 1)] &&
               !(date.month == 2 && date.day == 29 && !leap);
  if (!valid) {
    diags.report(Code::InvalidDate, span, fmt::format("`{}` is not a calendar date", text)).help("write YYYY-MM-DD");
    return std::nullopt;
  }
  return date;
}

namespace {

// One walk over a path's components: the first thing that makes it not normal, its lexical
// normal form (only to suggest the fix) and whether `..` climbs above where it starts.
struct PathComponents {
  std::vector<std::string_view> parts;
  std::string_view problem;
  bool escapes = false;
};

PathComponents walkComponents(std::string_view path, bool absolute) {
  PathComponents c;
  for (std::size_t i = 0; i <= path.size();) {
    std::size_t j = std::min(path.find('/', i), path.size());
    std::string_view part = path.substr(i, j - i);
    if (part.empty()) {
      if (!(absolute && i == 0) && c.problem.empty())
        c.problem = j == path.size() ? "a trailing slash" : "an empty component (`//`)";
    } else if (part == ".") {
      if (c.problem.empty()) c.problem = "a `.` component";
    } else if (part == "..") {
      c.escapes |= c.parts.empty();
      if (c.problem.empty()) c.problem = "a `..` component";
      if (!c.parts.empty()) c.parts.pop_back();
    } else {
      if (part.size() > 255 && c.problem.empty()) c.problem = "a component longer than 255 bytes";
      c.parts.push_back(part);
    }
    i = j + 1;
  }
  return c;
}

}  // namespace

std::optional<std::string> checkPath(std::string_view path, Span span, DiagnosticSink& diags) {
  if (path.find('\0') != std::string_view::npos) {
    diags.report(Code::InvalidPath, span, "path contains a NUL byte");
    return std::nullopt;
  }
  if (path.empty()) {
    diags.report(Code::InvalidPath, span, "path is empty").help("write an absolute path, e.g. \"/usr\"");
    return std::nullopt;
  }
  if (path[0] == '~') {
    diags.report(Code::InvalidPath, span, fmt::format("path `{}` uses `~`, which sbxc does not expand", path))
        .help("write the absolute path, e.g. \"/home/agent/.cache\"");
    return std::nullopt;
  }
  PathComponents c = walkComponents(path, true);
  std::string_view problem = c.problem;
  const auto& parts = c.parts;
  std::string normal;
  for (auto p : parts) normal += "/" + std::string(p);
  if (normal.empty()) normal = "/";
  if (path[0] != '/') {
    diags.report(Code::InvalidPath, span, fmt::format("path `{}` is relative", path))
        .note("paths are resolved in the sandbox, where there is no meaningful working directory")
        .help(fmt::format("write it absolute, e.g. \"{}\"", normal));
    return std::nullopt;
  }
  if (path == "/") return std::string(path);
  if (!problem.empty()) {
    auto& d = diags.report(Code::InvalidPath, span, fmt::format("path `{}` has {}", path, problem));
    if (problem.find("255") == std::string_view::npos) d.help(fmt::format("write \"{}\"", normal));
    return std::nullopt;
  }
  if (path.size() > 4095) {
    diags.report(Code::InvalidPath, span, "path is longer than PATH_MAX (4096 bytes)");
    return std::nullopt;
  }
  return std::string(path);
}

std::optional<std::string> checkWorkspacePath(std::string_view path, Span span, DiagnosticSink& diags) {
  if (path.find('\0') != std::string_view::npos) {
    diags.report(Code::InvalidPath, span, "path contains a NUL byte");
    return std::nullopt;
  }
  if (path.empty()) {
    diags.report(Code::InvalidPath, span, "the path inside the workspace is empty")
        .help("name a directory or file inside it, e.g. `workspace \"bin\"`, or write `workspace` alone");
    return std::nullopt;
  }
  if (path[0] == '/' || path[0] == '~') {
    diags.report(Code::InvalidPath, span, fmt::format("path `{}` inside the workspace is not relative", path))
        .note("a path after `workspace` is resolved inside the host directory given at launch")
        .help(fmt::format(
            "write it relative to the workspace, e.g. `workspace \"{}\"`, or drop `workspace`",
            path.substr(path.find_first_not_of("/~") == std::string_view::npos ? path.size()
                                                                               : path.find_first_not_of("/~"))));
    return std::nullopt;
  }
  PathComponents c = walkComponents(path, false);
  std::string_view problem = c.problem;
  const auto& parts = c.parts;
  bool escapes = c.escapes;
  std::string normal;
  for (auto p : parts) normal += (normal.empty() ? "" : "/") + std::string(p);
  if (escapes) {
    diags.report(Code::InvalidPath, span, fmt::format("path `{}` leaves the workspace", path))
        .note("a path after `workspace` must stay inside it: `..` is not allowed")
        .help("grant the outside path by its absolute name instead, without `workspace`");
    return std::nullopt;
  }
  if (!problem.empty()) {
    auto& d =
        diags.report(Code::InvalidPath, span, fmt::format("path `{}` inside the workspace has {}", path, problem));
    if (problem.find("255") != std::string_view::npos) return std::nullopt;
    if (normal.empty())
      d.help("write `workspace` alone for the whole workspace");
    else
      d.help(fmt::format("write `workspace \"{}\"`", normal));
    return std::nullopt;
  }
  if (path.size() > 4000) {
    diags.report(Code::InvalidPath, span, "path is longer than PATH_MAX (4096 bytes) inside the workspace");
    return std::nullopt;
  }
  return std::string(path);
}

std::optional<std::string> checkSha256(std::string_view text, Span span, DiagnosticSink& diags) {
  std::string hex;
  for (char c : text) hex += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    diags.report(Code::InvalidValue, span, fmt::format("`{}` is not a SHA-256 digest", text))
        .note("a SHA-256 digest is 64 hexadecimal digits")
        .help("write the output of `sha256sum PROGRAM`, e.g. `sha256 \"<64 hex digits>\"`");
    return std::nullopt;
  }
  return hex;
}

namespace {

struct Constant {
  std::string_view name;
  std::uint64_t value;
};

const std::vector<Constant>& constants() {
  static const std::vector<Constant> table = {
#define SBX_CONSTANT(name) {#name, static_cast<std::uint64_t>(name)},
#include "frontend/constants.def"
#undef SBX_CONSTANT
  };
  return table;
}

}  // namespace

std::optional<std::uint64_t> lookupConstant(std::string_view name) {
  for (const auto& c : constants())
    if (c.name == name) return c.value;
  return std::nullopt;
}

std::vector<std::string> constantNames() {
  std::vector<std::string> names;
  for (const auto& c : constants()) names.emplace_back(c.name);
  return names;
}

std::string formatDuration(std::uint64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  for (const auto& unit : kDurationUnits) {
    if (ms >= unit.factor) {
      out += fmt::format("{}{}", ms / unit.factor, unit.name);
      ms %= unit.factor;
    }
  }
  return out;
}

std::string formatSize(std::uint64_t bytes) {
  for (auto it = kSizeUnits.rbegin(); it != kSizeUnits.rend(); ++it)
    if (it->name.find('i') != std::string_view::npos && bytes % it->factor == 0)
      return fmt::format("{}{}", bytes / it->factor, it->name);
  return fmt::format("{}B", bytes);
}

}  // namespace sbx::frontend
