#include "runtime/inspect/request_head.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <boost/beast/http.hpp>

namespace sbx::inspect {

namespace http = boost::beast::http;

namespace {

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

HeadVerdict refuse(int status, std::string why) {
  HeadVerdict v;
  v.status = status;
  v.why = std::move(why);
  return v;
}

// "host", "host:port", "[v6]:port" against the connection's target (port defaulting by scheme).
bool sameAuthority(std::string_view authority, const ConnectionTarget& target) {
  std::string host;
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return false;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    auto colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  unsigned number = target.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc{} || end != port.data() + port.size()) return false;
  }
  if (!host.empty() && host.back() == '.') host.pop_back();
  return lower(host) == target.host && number == target.port;
}

}  // namespace

HeadVerdict checkHead(std::string_view head, const ConnectionTarget& target) {
  // Bytes a lenient reader splits or stops at, and folded lines, before any parser sees them.
  for (std::size_t i = 0; i < head.size(); ++i) {
    char c = head[i];
    if (c == '\0') return refuse(400, "the request head has a NUL byte");
    if (c == '\r' && (i + 1 == head.size() || head[i + 1] != '\n'))
      return refuse(400, "the request head has a CR that is not part of a CRLF");
    if (c == '\n' && (i == 0 || head[i - 1] != '\r'))
      return refuse(400, "the request head has a LF that is not part of a CRLF");
    if (c == '\n' && i + 1 < head.size() && (head[i + 1] == ' ' || head[i + 1] == '\t'))
      return refuse(400, "a header line is folded (obs-fold)");
  }
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxHeadBytes);
  parser.eager(false);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec || !parser.is_header_done())
    return refuse(400, fmt::format("the request head is not HTTP/1.1: {}", ec.message()));
  const auto& request = parser.get();
  if (request.version() != 11 && request.version() != 10) return refuse(400, "only HTTP/1.0 and HTTP/1.1 are read");
  std::string method(request.method_string());
  if (request.method() == http::verb::connect) return refuse(403, "CONNECT inside an intercepted connection");
  if (request.count(http::field::upgrade) || request.count("HTTP2-Settings"))
    return refuse(403, "a protocol upgrade (Upgrade, h2c), which no action names");
  std::size_t lengths = request.count(http::field::content_length),
              encodings = request.count(http::field::transfer_encoding);
  if (lengths && encodings) return refuse(400, "both Content-Length and Transfer-Encoding (request smuggling)");
  if (lengths > 1) return refuse(400, "Content-Length is repeated");
  if (lengths) {
    std::string_view text = sv(request[http::field::content_length]);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
      return refuse(400, "Content-Length is not a number");
  }
  if (encodings > 1 || (encodings && lower(sv(request[http::field::transfer_encoding])) != "chunked"))
    return refuse(400, "Transfer-Encoding other than a single \"chunked\"");
  if (request.count(http::field::host) != 1) return refuse(400, "the request has no Host header, or several");
  if (!sameAuthority(sv(request[http::field::host]), target))
    return refuse(400, fmt::format("the Host header names another destination than the connection's ({}:{})",
                                   target.host, target.port));
  std::string_view requestTarget = sv(request.target());
  std::string_view origin = requestTarget;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!lower(requestTarget.substr(0, scheme.size())).starts_with(scheme)) continue;
    std::string_view rest = requestTarget.substr(scheme.size());
    auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    if (scheme.substr(0, scheme.size() - 3) != target.scheme || !sameAuthority(authority, target) ||
        authority.find('@') != std::string_view::npos)
      return refuse(400, "the absolute-form target names another destination than the connection's");
    origin = slash == std::string_view::npos ? "/" : rest.substr(slash);
    if (origin.starts_with('?')) return refuse(400, "the absolute-form target has a query but no path");
  }
  HeadVerdict verdict;
  auto normal = normaliseTarget(origin, verdict.why);
  if (!normal) return refuse(400, verdict.why);
  verdict.facts = {method, target.scheme, target.host, target.port, std::move(*normal)};
  verdict.expectContinue = lower(sv(request[http::field::expect])) == "100-continue";
  return verdict;
}

}  // namespace sbx::inspect
