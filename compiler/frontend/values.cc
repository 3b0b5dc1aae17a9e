#include "frontend/values.h"

#include <arpa/inet.h>
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

#include "util/host_name.h"

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
  // Lexical normalization, only to suggest the fix; the path as written must already be normal.
  std::vector<std::string_view> parts;
  std::string_view problem;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part.empty()) {
      if (i != 0 && problem.empty()) problem = j == path.size() ? "a trailing slash" : "an empty component (`//`)";
    } else if (part == ".") {
      if (problem.empty()) problem = "a `.` component";
    } else if (part == "..") {
      if (problem.empty()) problem = "a `..` component";
      if (!parts.empty()) parts.pop_back();
    } else {
      if (part.size() > 255 && problem.empty()) problem = "a component longer than 255 bytes";
      parts.push_back(part);
    }
    i = j + 1;
  }
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

namespace {

bool looksNumeric(std::string_view host) {
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

// IPv4 with no leading zeros (which some resolvers read as octal).
bool parseIpv4(std::string_view text, std::array<unsigned char, 16>& bytes) {
  std::string s(text);
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '0' && (i == 0 || s[i - 1] == '.') && i + 1 < s.size() &&
        std::isdigit(static_cast<unsigned char>(s[i + 1])))
      return false;
  return inet_pton(AF_INET, s.c_str(), bytes.data()) == 1;
}

bool parseIpv6(std::string_view text, std::array<unsigned char, 16>& bytes) {
  std::string s(text);
  return inet_pton(AF_INET6, s.c_str(), bytes.data()) == 1;
}

std::string formatIp(int family, const std::array<unsigned char, 16>& bytes) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

bool parsePort(std::string_view text, std::uint16_t& value) {
  unsigned v = 0;
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > 65535) return false;
  value = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace

std::optional<model::Destination> parseDestination(std::string_view text, Span span, DiagnosticSink& diags) {
  auto fail = [&](std::string message, std::string help) -> std::optional<model::Destination> {
    auto& d = diags.report(Code::InvalidDestination, span, std::move(message));
    if (!help.empty()) d.help(std::move(help));
    return std::nullopt;
  };
  if (auto scheme = text.find("://"); scheme != std::string_view::npos)
    return fail(fmt::format("destination `{}` has a URL scheme", text),
                "write host and port only, e.g. \"api.example.com:443\"");
  std::string_view hostPart, portPart;
  if (!text.empty() && text[0] == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return fail(fmt::format("destination `{}` has no closing `]`", text), "");
    hostPart = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.empty())
      return fail(fmt::format("destination `{}` has no port", text), fmt::format("add one, e.g. \"{}:443\"", text));
    if (rest[0] != ':')
      return fail(fmt::format("expected `:` after `]` in `{}`", text),
                  fmt::format("write \"{}:{}\"", text.substr(0, close + 1), rest));
    portPart = rest.substr(1);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return fail(fmt::format("destination `{}` has no port", text), fmt::format("add one, e.g. \"{}:443\"", text));
    hostPart = text.substr(0, colon);
    portPart = text.substr(colon + 1);
    if (hostPart.find(':') != std::string_view::npos)
      return fail(fmt::format("IPv6 destination `{}` must put the address in brackets", text),
                  "write it as \"[2001:db8::1]:443\"");
  }
  if (auto slash = portPart.find('/'); slash != std::string_view::npos)
    return fail(fmt::format("destination `{}` has a path after the port", text),
                "egress is allowed per host and port, not per URL path");

  model::Destination dest;
  if (portPart == "*") {
    dest.portLow = 0;
    dest.portHigh = 65535;
  } else if (auto dash = portPart.find('-'); dash != std::string_view::npos) {
    if (!parsePort(portPart.substr(0, dash), dest.portLow) || !parsePort(portPart.substr(dash + 1), dest.portHigh) ||
        dest.portLow > dest.portHigh || dest.portLow == 0)
      return fail(fmt::format("`{}` is not a port range", portPart), "write LOW-HIGH with 1 <= LOW <= HIGH <= 65535");
  } else {
    if (!parsePort(portPart, dest.portLow) || dest.portLow == 0)
      return fail(portPart.empty() ? fmt::format("destination `{}` has an empty port", text)
                                   : fmt::format("`{}` is not a port", portPart),
                  "ports are 1-65535, a range LOW-HIGH, or *");
    dest.portHigh = dest.portLow;
  }

  std::string host(hostPart);
  std::array<unsigned char, 16> bytes{};
  std::string_view prefixText;
  if (auto slash = host.find('/'); slash != std::string::npos) {
    prefixText = std::string_view(hostPart).substr(slash + 1);
    host.resize(slash);
  }
  if (parseIpv4(host, bytes) || parseIpv6(host, bytes)) {
    bool v4 = host.find(':') == std::string::npos;
    dest.family = v4 ? 4 : 6;
    int maxPrefix = v4 ? 32 : 128;
    dest.prefix = maxPrefix;
    dest.kind = model::Destination::Kind::Ip;
    if (!prefixText.empty() || hostPart.find('/') != std::string_view::npos) {
      unsigned p = 0;
      auto [ptr, ec] = std::from_chars(prefixText.data(), prefixText.data() + prefixText.size(), p);
      if (prefixText.empty() || ec != std::errc() || ptr != prefixText.data() + prefixText.size() ||
          p > static_cast<unsigned>(maxPrefix))
        return fail(fmt::format("`/{}` is not a prefix length for IPv{}", prefixText, dest.family),
                    fmt::format("prefix lengths are 0-{}", maxPrefix));
      dest.prefix = static_cast<int>(p);
      dest.kind = model::Destination::Kind::Cidr;
      auto network = bytes;
      int byteCount = v4 ? 4 : 16;
      for (int b = 0; b < byteCount; ++b) {
        int keep = std::clamp(dest.prefix - b * 8, 0, 8);
        network[static_cast<std::size_t>(b)] &= static_cast<unsigned char>(keep == 0 ? 0 : (0xFF << (8 - keep)) & 0xFF);
      }
      if (network != bytes) {
        std::string fixed = formatIp(dest.family, network) + "/" + std::to_string(p);
        return fail(fmt::format("CIDR `{}` has host bits set", hostPart),
                    fmt::format("write the network address: \"{}\"",
                                v4 ? fixed + ":" + std::string(portPart) : "[" + fixed + "]:" + std::string(portPart)));
      }
    }
    dest.address = formatIp(dest.family, bytes);
    if (v4 && host != dest.address) return fail(fmt::format("`{}` is not a canonical IPv4 address", host), "");
  } else if (!prefixText.empty() || hostPart.find('/') != std::string_view::npos) {
    return fail(fmt::format("`{}` is not an IP network", hostPart), "write a CIDR such as \"10.0.0.0/8:5432\"");
  } else if (looksNumeric(host)) {
    return fail(fmt::format("`{}` is not a valid IPv4 address", host),
                "write four decimal numbers 0-255 without leading zeros, e.g. 10.0.0.1");
  } else if (host == "*") {
    dest.kind = model::Destination::Kind::Any;
  } else {
    bool wildcard = host.starts_with("*.");
    std::string_view named = std::string_view(host).substr(wildcard ? 2 : 0);
    if (named.find('*') != std::string_view::npos)
      return fail(fmt::format("`{}` has a `*` that is not a whole leftmost label", printableHostText(host)),
                  "a wildcard covers subdomains: \"*.example.com:443\"");
    // The proxy checks a request's host with the same function (util/host_name.h).
    std::string why;
    auto name = canonicalHostName(named, why);
    if (!name) return fail(fmt::format("host name `{}` {}", printableHostText(host), why), "");
    dest.kind = wildcard ? model::Destination::Kind::Wildcard : model::Destination::Kind::Host;
    dest.host = *name;
  }

  std::string hostText;
  switch (dest.kind) {
    case model::Destination::Kind::Host:
      hostText = dest.host;
      break;
    case model::Destination::Kind::Wildcard:
      hostText = "*." + dest.host;
      break;
    case model::Destination::Kind::Any:
      hostText = "*";
      break;
    case model::Destination::Kind::Ip:
      hostText = dest.family == 4 ? dest.address : "[" + dest.address + "]";
      break;
    case model::Destination::Kind::Cidr:
      hostText = dest.family == 4 ? fmt::format("{}/{}", dest.address, dest.prefix)
                                  : fmt::format("[{}/{}]", dest.address, dest.prefix);
      break;
  }
  std::string portText = dest.portLow == 0 && dest.portHigh == 65535 ? "*"
                         : dest.portLow == dest.portHigh             ? std::to_string(dest.portLow)
                                                         : fmt::format("{}-{}", dest.portLow, dest.portHigh);
  dest.text = hostText + ":" + portText;
  return dest;
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
