// Request rules' values: the method, the URL and its path pattern, the query constraints
// (values_http.h). A path pattern is what the proxy compares a request's normalised path with,
// segment by segment, so it is written normalised: no dot or empty segments, no percent-encoding
// of a byte that needs none, and none of an encoded `/` or `\`, which the proxy refuses.
#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "frontend/values_http.h"
#include "net/address_spelling.h"
#include "net/host_name.h"
#include "net/ip_address.h"

namespace sbx::frontend {
namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isUnreserved(char c) {
  return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
// RFC 3986 pchar less `*`, which a pattern reserves, and percent-encodings (checked apart).
bool isSegmentChar(char c) {
  return isUnreserved(c) || std::string_view("!$&'()+,;=:@").find(c) != std::string_view::npos;
}
int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
bool isName(std::string_view name) {
  if (name.empty() || isDigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return isAlpha(c) || isDigit(c) || c == '_'; });
}
std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}
// A byte of policy text quoted for a message: printable ASCII as itself, anything else as \xHH.
std::string shown(char c) {
  auto b = static_cast<unsigned char>(c);
  return b >= 0x21 && b < 0x7f ? std::string(1, c) : fmt::format("\\x{:02X}", b);
}

// One URL's parse; each step reports the first problem it finds and returns false.
class UrlParser {
 public:
  UrlParser(std::string_view url, Span span, DiagnosticSink& diags) : url_(url), span_(span), diags_(diags) {}

  std::optional<model::RequestRule> parse() {
    if (!scheme() || !authority() || !host() || !path()) return std::nullopt;
    return rule_;
  }

 private:
  bool fail(std::string message, std::string help) {
    auto& d = diags_.report(Code::InvalidRequest, span_, std::move(message));
    if (!help.empty()) d.help(std::move(help));
    return false;
  }

  bool scheme() {
    auto end = url_.find("://");
    if (end == std::string_view::npos)
      return fail(fmt::format("request URL `{}` has no scheme", url_),
                  fmt::format("write it whole, e.g. \"https://{}\"", url_.substr(0, 40)));
    std::string_view scheme = url_.substr(0, end);
    std::string lower(scheme);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower != "https" && lower != "http")
      return fail(fmt::format("request URL scheme `{}` is not http or https", scheme),
                  "the proxy judges HTTP requests: write https:// (or http:// for a plain-text service)");
    if (lower != scheme)
      return fail(fmt::format("request URL scheme `{}` is not lower case", scheme), fmt::format("write {}://", lower));
    rule_.scheme = lower;
    rest_ = url_.substr(end + 3);
    return true;
  }

  bool authority() {
    auto end = rest_.find_first_of("/?#");
    authority_ = rest_.substr(0, end);
    rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end);
    if (authority_.find('@') != std::string_view::npos)
      return fail(fmt::format("request URL `{}` carries user information", url_),
                  "a credential never goes in a policy: give the tool a secret, e.g. inject header \"Authorization\" "
                  "\"Bearer {token}\" for TOOL");
    if (authority_.empty()) return fail(fmt::format("request URL `{}` has no host", url_), "");
    std::string_view port;
    if (authority_[0] == '[') {
      auto close = authority_.find(']');
      if (close == std::string_view::npos) return fail(fmt::format("request URL `{}` has no closing `]`", url_), "");
      hostText_ = authority_.substr(1, close - 1);
      std::string_view after = authority_.substr(close + 1);
      if (!after.empty() && after[0] != ':') return fail(fmt::format("expected `:` after `]` in `{}`", url_), "");
      if (!after.empty()) {
        port = after.substr(1);
        hasPort_ = true;
      }
    } else {
      auto colon = authority_.rfind(':');
      hostText_ = authority_.substr(0, colon);
      if (colon != std::string_view::npos) {
        port = authority_.substr(colon + 1);
        hasPort_ = true;
      }
      if (hostText_.find(':') != std::string_view::npos)
        return fail(fmt::format("IPv6 host of `{}` must be in brackets", url_), "write it as https://[2001:db8::1]/");
    }
    rule_.port = rule_.scheme == "https" ? 443 : 80;
    if (hasPort_) {
      unsigned v = 0;
      auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
      if (port.empty() || port[0] == '0' || ec != std::errc() || ptr != port.data() + port.size() || v > 65535)
        return fail(fmt::format("`{}` is not a port", port), "ports are 1-65535, written without leading zeros");
      rule_.port = static_cast<std::uint16_t>(v);
    }
    return true;
  }

  bool host() {
    std::string text(hostText_);
    if (text.empty()) return fail(fmt::format("request URL `{}` has no host", url_), "");
    if (text.find('*') != std::string::npos)
      return fail(fmt::format("request URL `{}` has a wildcard host", url_),
                  "a request rule names one host; write one rule per host");
    if (auto refused = net::refusedAddressSpelling(text))
      return fail(fmt::format("`{}` {}", printableHostText(text), refused->why), refused->fix);
    if (auto address = net::IpAddress::parse(text)) {
      net::IpAddress unmapped = address->unmapped();  // an IPv4-mapped address reaches the IPv4 host
      if (address->family == 4 && text != address->text())
        return fail(fmt::format("`{}` is not a canonical IPv4 address", text), "");
      rule_.host = unmapped.text();
      return true;
    }
    if (text.find_first_not_of("0123456789.") == std::string::npos)
      return fail(fmt::format("`{}` is not a valid IPv4 address", text),
                  "write four decimal numbers 0-255 without leading zeros, e.g. 10.0.0.1");
    // The proxy checks a request's host with the same function (net/host_name.h).
    std::string why;
    auto name = canonicalHostName(text, why);
    if (!name) return fail(fmt::format("host name `{}` {}", printableHostText(text), why), "");
    rule_.host = *name;
    return true;
  }

  bool path() {
    if (rest_.empty() || rest_[0] != '/') {
      if (!rest_.empty() && rest_[0] == '?')
        return fail(fmt::format("request URL `{}` has a query", url_),
                    "write the path alone and constrain the query apart: request GET \"https://host/path\" query "
                    "\"name=value\"");
      if (!rest_.empty()) return fail(fmt::format("request URL `{}` has a fragment", url_), "remove the `#...`");
      return fail(fmt::format("request URL `{}` has no path", url_),
                  fmt::format("write the path, `/` for the root: \"{}/\"", url_));
    }
    auto end = rest_.find_first_of("?#");
    if (end != std::string_view::npos)
      return fail(fmt::format("request URL `{}` has a {}", url_, rest_[end] == '?' ? "query" : "fragment"),
                  rest_[end] == '?' ? "write the path alone and constrain the query apart: query \"name=value\""
                                    : "remove the `#...`: a fragment is never sent");
    rule_.path = std::string(rest_);
    return segments();
  }

  // The path's segments: literal ones, `{name}`, and a last `**`; a trailing `/` is kept.
  bool segments() {
    std::string_view body = std::string_view(rule_.path).substr(1);
    if (body.empty()) return true;  // the root
    bool trailingSlash = body.back() == '/';
    if (trailingSlash) body.remove_suffix(1);
    std::vector<std::string_view> segs;
    for (std::size_t start = 0;;) {
      auto slash = body.find('/', start);
      segs.push_back(body.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      if (segs[i].empty())
        return fail(fmt::format("path `{}` has an empty segment", rule_.path),
                    "write one `/` between segments: the proxy merges duplicate slashes before it matches");
      if (!segment(segs[i], i + 1 == segs.size() && !trailingSlash, names)) return false;
    }
    return true;
  }

  bool segment(std::string_view seg, bool last, std::vector<std::string>& names) {
    if (seg == "." || seg == "..")
      return fail(fmt::format("path `{}` has a `{}` segment", rule_.path, seg),
                  "write the path it resolves to: the proxy resolves dot segments before it matches");
    if (seg == "**") {
      if (last) return true;
      return fail(fmt::format("`**` in path `{}` is not its last segment", rule_.path),
                  "`**` matches the rest of the path, so it comes last; name one segment with `{name}`");
    }
    if (seg.front() == '{' || seg.find_first_of("{}") != std::string_view::npos) {
      std::string_view name = seg.size() >= 2 && seg.front() == '{' && seg.back() == '}' ? seg.substr(1, seg.size() - 2)
                                                                                         : std::string_view();
      if (!isName(name))
        return fail(fmt::format("`{}` in path `{}` is not a named segment", seg, rule_.path),
                    "a named segment is a whole segment, `{name}` with a name of letters, digits and `_`");
      if (std::find(names.begin(), names.end(), name) != names.end())
        return fail(fmt::format("path `{}` names the segment `{{{}}}` twice", rule_.path, name),
                    "give each named segment its own name");
      names.emplace_back(name);
      return true;
    }
    if (seg.find('*') != std::string_view::npos)
      return fail(fmt::format("`{}` in path `{}` has a `*`", seg, rule_.path),
                  "match one segment with `{name}`, or the rest of the path with a last `**`");
    for (std::size_t i = 0; i < seg.size(); ++i) {
      char c = seg[i];
      if (c == '%') {
        if (!encoding(seg, i)) return false;
        i += 2;
      } else if (!isSegmentChar(c)) {
        return fail(fmt::format("path `{}` has the character `{}`", rule_.path, shown(c)),
                    fmt::format("percent-encode it as %{:02X}", static_cast<unsigned char>(c)));
      }
    }
    return true;
  }

  bool encoding(std::string_view seg, std::size_t i) {
    int high = i + 1 < seg.size() ? hexValue(seg[i + 1]) : -1;
    int low = i + 2 < seg.size() ? hexValue(seg[i + 2]) : -1;
    if (high < 0 || low < 0)
      return fail(fmt::format("path `{}` has a `%` that does not start an encoded byte", rule_.path),
                  "write `%25` for a literal `%`");
    std::string_view written = seg.substr(i, 3);
    std::string normal = upper(written);
    char byte = static_cast<char>(high * 16 + low);
    if (isUnreserved(byte))
      return fail(fmt::format("path `{}` encodes `{}` as {}", rule_.path, byte, written),
                  fmt::format("write `{}`: the proxy decodes it before it matches", byte));
    if (byte == '/' || byte == '\\')
      return fail(fmt::format("path `{}` has an encoded `{}` ({})", rule_.path, byte, written),
                  "the proxy refuses encoded slashes and backslashes, which servers read two ways");
    if (normal != written)
      return fail(fmt::format("path `{}` has the lower-case encoding {}", rule_.path, written),
                  fmt::format("write {}", normal));
    return true;
  }

  std::string_view url_;
  Span span_;
  DiagnosticSink& diags_;
  std::string_view rest_, authority_, hostText_;
  bool hasPort_ = false;
  model::RequestRule rule_;
};

}  // namespace

std::optional<std::string> checkRequestMethod(std::string_view method, Span span, DiagnosticSink& diags) {
  if (std::find(kMethods.begin(), kMethods.end(), method) != kMethods.end()) return std::string(method);
  std::string list;
  for (auto m : kMethods) list += (list.empty() ? "" : ", ") + std::string(m);
  std::string normal = upper(method);
  auto& d = diags.report(Code::InvalidRequest, span, fmt::format("`{}` is not a request method", method));
  if (std::find(kMethods.begin(), kMethods.end(), normal) != kMethods.end())
    d.help(fmt::format("methods are upper case: write {}", normal));
  else if (normal == "CONNECT" || normal == "TRACE")
    d.help(fmt::format("the proxy refuses {} requests; an action names the requests it sends", normal));
  else
    d.help("write each method the action sends as a request of its own");
  d.note(fmt::format("a method is one of: {}", list));
  return std::nullopt;
}

std::optional<model::RequestRule> parseRequestUrl(std::string_view url, Span span, DiagnosticSink& diags) {
  return UrlParser(url, span, diags).parse();
}

std::optional<std::string> checkQueryConstraint(std::string_view text, Span span, std::vector<std::string>& seen,
                                                DiagnosticSink& diags) {
  auto fail = [&](std::string message, std::string help) -> std::optional<std::string> {
    diags.report(Code::InvalidRequest, span, std::move(message)).help(std::move(help));
    return std::nullopt;
  };
  auto eq = text.find('=');
  std::string_view name = text.substr(0, eq);
  bool nameOk = !name.empty() &&
                std::all_of(name.begin(), name.end(), [](char c) { return isUnreserved(c) || c == '[' || c == ']'; });
  if (!nameOk)
    return fail(fmt::format("`{}` is not a query constraint", text),
                "write a parameter name (letters, digits, `-._~[]`), alone for \"present\" or as \"name=value\"");
  if (eq != std::string_view::npos) {
    std::string_view value = text.substr(eq + 1);
    for (char c : value) {
      auto b = static_cast<unsigned char>(c);
      if (b <= 0x20 || b >= 0x7f || std::string_view("&#+%\"\\").find(c) != std::string_view::npos)
        return fail(fmt::format("query constraint `{}` has the character `{}` in its value", text, shown(c)),
                    "write the value as the server decodes it, without spaces, `&`, `#`, `+` or `%`");
    }
  }
  if (std::find(seen.begin(), seen.end(), name) != seen.end())
    return fail(fmt::format("query parameter `{}` is constrained twice", name), "keep one constraint per parameter");
  seen.emplace_back(name);
  return std::string(text);
}

}  // namespace sbx::frontend
