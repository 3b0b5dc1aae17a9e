#include "plan/request_match.h"

#include <fmt/format.h>

namespace sbx::inspect {

namespace {

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether `bytes` is UTF-8 without overlong forms or surrogates: an overlong "%C0%AF" is a slash
// to a decoder that accepts it.
bool validUtf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + length > bytes.size() || c == 0xC0 || c == 0xC1 || c > 0xF4) return false;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(bytes[i + k]) >> 6) != 2) return false;
    unsigned char next = length > 1 ? static_cast<unsigned char>(bytes[i + 1]) : 0;
    if ((c == 0xE0 && next < 0xA0) || (c == 0xED && next >= 0xA0) || (c == 0xF0 && next < 0x90) ||
        (c == 0xF4 && next >= 0x90))
      return false;
    i += length;
  }
  return true;
}

// One segment (or the query) with unreserved bytes decoded and every other escape upper-cased;
// nullopt with `why` for the encodings a server could read another way.
std::optional<std::string> normaliseEscapes(std::string_view text, bool inPath, std::string& why) {
  std::string out, decodedBytes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\0' || c == '\\' || c < 0x20 || c == 0x7f || c >= 0x80) {
      why = c == '\\' ? "the path has a backslash" : "the request target has a control, NUL or non-ASCII byte";
      return std::nullopt;
    }
    if (c != '%') {
      out += static_cast<char>(c);
      decodedBytes += static_cast<char>(c);  // ends a multi-byte sequence split by it
      continue;
    }
    int high = i + 2 < text.size() ? hexValue(text[i + 1]) : -1, low = high >= 0 ? hexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      why = "the request target has an invalid or truncated percent encoding";
      return std::nullopt;
    }
    unsigned char decoded = static_cast<unsigned char>(high * 16 + low);
    decodedBytes += static_cast<char>(decoded);
    if (decoded == 0 || (inPath && (decoded == '/' || decoded == '\\'))) {
      why = decoded == 0 ? "the request target has an encoded NUL (%00)"
                         : "the path has an encoded slash or backslash (%2F, %5C), which servers read differently";
      return std::nullopt;
    }
    if (isUnreserved(decoded))
      out += static_cast<char>(decoded);
    else
      out += fmt::format("%{:02X}", decoded);
    i += 2;
  }
  if (!validUtf8(decodedBytes)) {
    why = "the request target has an overlong or invalid UTF-8 percent encoding";
    return std::nullopt;
  }
  return out;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 1; start <= path.size();) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::optional<NormalTarget> normaliseTarget(std::string_view target, std::string& why) {
  if (!target.starts_with('/')) {
    why = "the request target is not a path beginning with /";
    return std::nullopt;
  }
  auto question = target.find('?');
  std::string_view rawPath = target.substr(0, question);
  if (auto hash = target.find('#'); hash != std::string_view::npos) {
    why = "the request target has a fragment (#)";
    return std::nullopt;
  }
  NormalTarget result;
  std::vector<std::string> kept;
  bool trailingSlash = false;
  for (auto segment : segments(rawPath)) {
    auto decoded = normaliseEscapes(segment, true, why);
    if (!decoded) return std::nullopt;
    trailingSlash = false;
    if (decoded->empty() || *decoded == ".") {  // a duplicate slash, or "."
      trailingSlash = true;
      continue;
    }
    if (*decoded == "..") {
      if (kept.empty()) {
        why = "the path climbs above the root with ..";
        return std::nullopt;
      }
      kept.pop_back();
      trailingSlash = true;
      continue;
    }
    kept.push_back(std::move(*decoded));
  }
  for (const auto& s : kept) result.path += "/" + s;
  if (result.path.empty() || trailingSlash) result.path += "/";
  if (question != std::string_view::npos) {
    auto query = normaliseEscapes(target.substr(question + 1), false, why);
    if (!query) return std::nullopt;
    result.query = std::move(*query);
  }
  return result;
}

bool pathMatches(std::string_view pattern, std::string_view path) {
  auto want = segments(pattern), have = segments(path);
  bool rest = !want.empty() && want.back() == "**";
  if (rest) want.pop_back();
  // "/a/**" matches "/a" and "/a/": the rest may be empty.
  if (rest && have.size() == want.size() + 1 && have.back().empty()) have.pop_back();
  if (rest ? have.size() < want.size() : have.size() != want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (have[i].empty()) return false;
      continue;
    }
    std::string why;
    auto literal = normaliseEscapes(want[i], true, why);
    if (!literal || *literal != have[i]) return false;
  }
  return true;
}

namespace {

// The query's decoded name=value pairs ("+" is a space in a form-encoded query).
std::vector<std::pair<std::string, std::optional<std::string>>> queryPairs(std::string_view query) {
  auto decode = [](std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out += ' ';
      } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
        out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::vector<std::pair<std::string, std::optional<std::string>>> pairs;
  for (std::size_t start = 0; start < query.size();) {
    auto amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    auto eq = part.find('=');
    if (!part.empty())
      pairs.emplace_back(decode(part.substr(0, eq)), eq == std::string_view::npos
                                                         ? std::nullopt
                                                         : std::optional<std::string>(decode(part.substr(eq + 1))));
    start = amp + 1;
  }
  return pairs;
}

}  // namespace

bool queryMatches(const std::vector<std::string>& constraints, std::string_view query) {
  auto pairs = queryPairs(query);
  for (const auto& c : constraints) {
    auto eq = c.find('=');
    std::string name = c.substr(0, eq);
    bool found = false;
    for (const auto& [n, v] : pairs) {
      if (n != name) continue;
      // A repeated name must agree everywhere: servers differ on which copy they read.
      if (eq != std::string::npos && (!v || *v != c.substr(eq + 1))) return false;
      found = true;
    }
    if (!found) return false;
  }
  return true;
}

std::optional<Match> matchRequest(const plan::Tool& tool, const RequestFacts& request) {
  for (const auto& action : tool.actions)
    for (const auto& rule : action.requests)
      if (rule.method == request.method && rule.scheme == request.scheme && rule.host == request.host &&
          rule.port == request.port && pathMatches(rule.path, request.target.path) &&
          queryMatches(rule.query, request.target.query))
        return Match{&action, &rule};
  return std::nullopt;
}

namespace {

std::string hostPort(const std::string& scheme, const std::string& host, std::uint16_t port) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  return defaultPort ? h : fmt::format("{}:{}", h, port);
}

// `text` as a string of the language (docs/language.md: the escapes are \", \\, \n and \t);
// nullopt when a control byte has no escape there.
std::optional<std::string> policyString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n' || c == '\t') {
      out += c == '\n' ? "\\n" : "\\t";
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    out += c;
  }
  return out + '"';
}

// The rule's text: the URL without its query, whose constraints follow as `query "C", ...`.
std::string requestLine(std::string_view method, std::string_view url, const std::vector<std::string>& query) {
  // A request target holds no control byte (the HTTP parser refuses them): the URL always quotes.
  std::string text = fmt::format("request {} {}", method, policyString(url).value_or("\"\""));
  for (std::size_t i = 0; i < query.size(); ++i) text += (i == 0 ? " query " : ", ") + *policyString(query[i]);
  return text;
}

}  // namespace

std::string ruleText(const plan::RequestRule& rule) {
  std::vector<std::string> query;
  for (const auto& q : rule.query)
    if (policyString(q)) query.push_back(q);
  return requestLine(rule.method,
                     fmt::format("{}://{}{}", rule.scheme, hostPort(rule.scheme, rule.host, rule.port), rule.path),
                     query);
}

std::string urlOf(const RequestFacts& request) {
  return fmt::format("{}://{}{}{}{}", request.scheme, hostPort(request.scheme, request.host, request.port),
                     request.target.path, request.target.query.empty() ? "" : "?", request.target.query);
}

std::string ruleFor(const RequestFacts& request) {
  // Each parameter as the server decodes it; one no policy string can hold is required by name.
  std::vector<std::string> query;
  for (const auto& [name, value] : queryPairs(request.target.query)) {
    if (!policyString(name)) continue;
    query.push_back(value && policyString(*value) ? name + "=" + *value : name);
  }
  return requestLine(request.method,
                     fmt::format("{}://{}{}", request.scheme, hostPort(request.scheme, request.host, request.port),
                                 request.target.path),
                     query);
}

}  // namespace sbx::inspect
