// Request rules' values (methods, URLs, path patterns, query constraints) and injected headers:
// frontend/values_http.h.
#include <doctest/doctest.h>

#include "frontend/values_http.h"

using namespace sbx;
using namespace sbx::frontend;

namespace {

Span at() {
  return {0, 1, 1, 1, 2};
}

// The one diagnostic a refused value gets: its code and its help.
struct Refusal {
  std::string id, message, help;
};

template <typename F>
Refusal refusal(F check) {
  DiagnosticSink d;
  check(d);
  REQUIRE(d.all().size() == 1);
  const auto& diag = d.all()[0];
  return {diag.id, diag.message, diag.helps.empty() ? "" : diag.helps[0]};
}

Refusal urlRefusal(std::string_view url) {
  return refusal([&](DiagnosticSink& d) { CHECK(!parseRequestUrl(url, at(), d)); });
}

}  // namespace

TEST_CASE("request methods are the seven upper-case ones, each written out") {
  DiagnosticSink d;
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    CHECK(checkRequestMethod(m, at(), d) == m);
  CHECK(!d.hasErrors());
  auto lower = refusal([](DiagnosticSink& e) { CHECK(!checkRequestMethod("patch", at(), e)); });
  CHECK(lower.id == "SBX0064");
  CHECK(lower.help == "methods are upper case: write PATCH");
  CHECK(refusal([](DiagnosticSink& e) { CHECK(!checkRequestMethod("CONNECT", at(), e)); }).help.find("refuses") !=
        std::string::npos);
  CHECK(refusal([](DiagnosticSink& e) { CHECK(!checkRequestMethod("FETCH", at(), e)); }).id == "SBX0064");
}

TEST_CASE("request URLs: scheme, host, default and explicit ports, path pattern") {
  DiagnosticSink d;
  auto r = parseRequestUrl("https://Tickets.Acme.example/api/v2/tickets/{id}/labels", at(), d);
  REQUIRE(r);
  CHECK(r->scheme == "https");
  CHECK(r->host == "tickets.acme.example");
  CHECK(r->port == 443);
  CHECK(r->path == "/api/v2/tickets/{id}/labels");
  CHECK(r->url() == "https://tickets.acme.example:443/api/v2/tickets/{id}/labels");
  auto plain = parseRequestUrl("http://127.0.0.1:8080/", at(), d);
  REQUIRE(plain);
  CHECK(plain->port == 8080);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->path == "/");
  auto v6 = parseRequestUrl("https://[2001:db8::1]/files/**", at(), d);
  REQUIRE(v6);
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->url() == "https://[2001:db8::1]:443/files/**");
  auto mapped = parseRequestUrl("https://[::ffff:10.0.0.1]/x", at(), d);
  REQUIRE(mapped);
  CHECK(mapped->host == "10.0.0.1");
  CHECK(parseRequestUrl("https://h.example/a/b/", at(), d)->path == "/a/b/");
  CHECK(parseRequestUrl("https://h.example/a%20b/%C3%A9/~x", at(), d));
  CHECK(!d.hasErrors());
}

TEST_CASE("request URLs that are malformed or not normal are refused with a fix") {
  struct Case {
    const char* url;
    const char* messagePart;
  };
  for (auto [url, part] : {
           Case{"tickets.acme.example/api", "has no scheme"},
           Case{"ftp://h.example/x", "is not http or https"},
           Case{"HTTPS://h.example/x", "is not lower case"},
           Case{"https://user:pw@h.example/x", "carries user information"},
           Case{"https:///x", "has no host"},
           Case{"https://*.example/x", "wildcard host"},
           Case{"https://h.example:0/x", "is not a port"},
           Case{"https://h.example:08/x", "is not a port"},
           Case{"https://h.example:65536/x", "is not a port"},
           Case{"https://::1/x", "must be in brackets"},
           Case{"https://010.0.0.1/x", ""},
           Case{"https://10.1/x", ""},
           Case{"https://h_x.example/x", "host name"},
           Case{"https://h.example", "has no path"},
           Case{"https://h.example?x=1", "has a query"},
           Case{"https://h.example/a?x=1", "has a query"},
           Case{"https://h.example/a#top", "has a fragment"},
           Case{"https://h.example/a//b", "empty segment"},
           Case{"https://h.example/a/./b", "`.` segment"},
           Case{"https://h.example/a/../b", "`..` segment"},
           Case{"https://h.example/**/b", "is not its last segment"},
           Case{"https://h.example/a/**/", "is not its last segment"},
           Case{"https://h.example/a/*", "has a `*`"},
           Case{"https://h.example/a*b", "has a `*`"},
           Case{"https://h.example/items/{id}/{id}", "twice"},
           Case{"https://h.example/items/x{id}", "is not a named segment"},
           Case{"https://h.example/items/{1d}", "is not a named segment"},
           Case{"https://h.example/items/{}", "is not a named segment"},
           Case{"https://h.example/a b", "the character `\\x20`"},
           Case{"https://h.example/a\\b", "the character `\\`"},
           Case{"https://h.example/%41", "encodes `A`"},
           Case{"https://h.example/a%2Fb", "encoded `/`"},
           Case{"https://h.example/a%5cb", "encoded `\\`"},
           Case{"https://h.example/a%c3%a9", "lower-case encoding"},
           Case{"https://h.example/a%2", "does not start an encoded byte"},
           Case{"https://h.example/a%zz", "does not start an encoded byte"},
       }) {
    CAPTURE(url);
    auto r = urlRefusal(url);
    CHECK(r.id == "SBX0064");
    CHECK(r.message.find(part) != std::string::npos);
  }
}

TEST_CASE("query constraints: a name, or a name and its decoded value, each name once") {
  DiagnosticSink d;
  std::vector<std::string> seen;
  CHECK(checkQueryConstraint("state=open", at(), seen, d) == "state=open");
  CHECK(checkQueryConstraint("page", at(), seen, d) == "page");
  CHECK(checkQueryConstraint("ids[]=a:b/c", at(), seen, d) == "ids[]=a:b/c");
  CHECK(checkQueryConstraint("empty=", at(), seen, d) == "empty=");
  CHECK(!d.hasErrors());
  for (const char* bad : {"state=open", "=open", "a b", "x=a b", "x=a&b", "x=a%20", "x=a+b", "x=#"}) {
    CAPTURE(bad);
    auto r = refusal([&](DiagnosticSink& e) { CHECK(!checkQueryConstraint(bad, at(), seen, e)); });
    CHECK(r.id == "SBX0064");
  }
}

TEST_CASE("an injected header is a token the proxy does not own") {
  DiagnosticSink d;
  CHECK(checkInjectedHeader("Authorization", at(), d));
  CHECK(checkInjectedHeader("X-Api-Key", at(), d));
  CHECK(!d.hasErrors());
  for (const char* bad : {"", "Bad Header", "X:y", "Authorization\r\n", "Host", "content-length", "Transfer-Encoding",
                          "Connection", "Upgrade", "TE", "Proxy-Authorization", "Keep-Alive"}) {
    CAPTURE(bad);
    CHECK(refusal([&](DiagnosticSink& e) { CHECK(!checkInjectedHeader(bad, at(), e)); }).id == "SBX0066");
  }
}

TEST_CASE("an injected value holds exactly one {token}") {
  DiagnosticSink d;
  CHECK(checkInjectedValue("Bearer {token}", at(), d));
  CHECK(checkInjectedValue("{token}", at(), d));
  CHECK(checkInjectedValue("token={token}; v=1", at(), d));
  CHECK(!d.hasErrors());
  for (const char* bad : {"Bearer", "{token} {token}", "Bearer {token}\r\nX-Evil: 1", "Bearer {tok}", "{token}}",
                          " Bearer {token}", "Bearer {token} "}) {
    CAPTURE(bad);
    CHECK(refusal([&](DiagnosticSink& e) { CHECK(!checkInjectedValue(bad, at(), e)); }).id == "SBX0066");
  }
}
