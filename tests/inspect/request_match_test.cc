// sbx-inspect's judging, without I/O: the path normalisation and its refusals, the rules'
// patterns and query constraints, and the request heads refused outright (request_head.h).
#include <doctest/doctest.h>

#include "plan/request_match.h"
#include "runtime/inspect/request_head.h"

using namespace sbx::inspect;

namespace {

std::string normal(std::string_view target) {
  std::string why;
  auto n = normaliseTarget(target, why);
  return n ? n->path + (n->query.empty() ? "" : "?" + n->query) : "refused: " + why;
}

sbx::plan::Tool apiTool() {
  sbx::plan::Tool tool;
  tool.name = "api";
  sbx::plan::Action list{"list", "read", std::nullopt, false, "", std::nullopt, {}};
  list.requests.push_back({"GET", "https", "127.0.0.1", 18443, "/api/items", {}});
  sbx::plan::Action label{"label", "write", std::nullopt, false, "", std::nullopt, {}};
  label.requests.push_back({"PATCH", "https", "127.0.0.1", 18443, "/api/items/{id}/labels", {"dry_run=no", "v"}});
  sbx::plan::Action files{"files", "read", std::nullopt, false, "", std::nullopt, {}};
  files.requests.push_back({"GET", "https", "127.0.0.1", 18443, "/files/**", {}});
  tool.actions = {list, label, files};
  return tool;
}

RequestFacts facts(std::string method, std::string_view target) {
  std::string why;
  return {std::move(method), "https", "127.0.0.1", 18443, *normaliseTarget(target, why)};
}

const ConnectionTarget kTarget{"https", "127.0.0.1", 18443};

HeadVerdict head(std::string_view text) {
  return checkHead(text, kTarget);
}

}  // namespace

TEST_CASE("inspect: paths are normalised: unreserved escapes decoded, dot segments and duplicate slashes resolved") {
  CHECK(normal("/api/items") == "/api/items");
  CHECK(normal("/api//items/./x/../7") == "/api/items/7");
  CHECK(normal("/%61pi/%7Eitems") == "/api/~items");
  CHECK(normal("/api/a%2cb") == "/api/a%2Cb");  // reserved: kept encoded, upper-cased
  CHECK(normal("/api/%2e%2E/x") == "/x");       // an encoded dot segment is a dot segment
  CHECK(normal("/api/items/") == "/api/items/");
  CHECK(normal("/a?x=%41&y") == "/a?x=A&y");
}

TEST_CASE("inspect: ambiguous encodings are refused, not guessed") {
  CHECK(normal("/api/a%2Fb").starts_with("refused: the path has an encoded slash"));
  CHECK(normal("/api/a%5cb").starts_with("refused: the path has an encoded slash or backslash"));
  CHECK(normal("/api/a\\b") == "refused: the path has a backslash");
  CHECK(normal("/api/a%zz").starts_with("refused: the request target has an invalid or truncated"));
  CHECK(normal("/api/a%4").starts_with("refused: the request target has an invalid or truncated"));
  CHECK(normal("/api/a%00").starts_with("refused: the request target has an encoded NUL"));
  CHECK(normal(std::string_view("/api/a\0b", 8)).starts_with("refused: the request target has a control"));
  CHECK(normal("/api/%C0%AFetc").starts_with("refused: the request target has an overlong"));
  CHECK(normal("/api/%E0%80%AF").starts_with("refused: the request target has an overlong"));
  CHECK(normal("/api/caf%C3%A9") == "/api/caf%C3%A9");  // valid UTF-8 stays
  CHECK(normal("/../etc").starts_with("refused: the path climbs above the root"));
  CHECK(normal("api").starts_with("refused: the request target is not a path"));
  CHECK(normal("/a#frag").starts_with("refused: the request target has a fragment"));
}

TEST_CASE("inspect: requests match the actions' rules by method, path pattern and query constraints") {
  auto tool = apiTool();
  auto m = matchRequest(tool, facts("GET", "/api/items"));
  REQUIRE(m);
  CHECK(m->action->name == "list");
  CHECK(!matchRequest(tool, facts("DELETE", "/api/items")));
  CHECK(!matchRequest(tool, facts("GET", "/api/items/7")));
  CHECK(!matchRequest(tool, facts("GET", "/api/items/")));
  CHECK(matchRequest(tool, facts("GET", "/api//items")));             // collapsed
  CHECK(!matchRequest(tool, facts("PATCH", "/api/items/7/labels")));  // query constraints missing
  m = matchRequest(tool, facts("PATCH", "/api/items/7/labels?v&dry_run=no"));
  REQUIRE(m);
  CHECK(m->action->name == "label");
  CHECK(!matchRequest(tool, facts("PATCH", "/api/items/7/labels?v&dry_run=yes")));
  CHECK(!matchRequest(tool, facts("PATCH", "/api/items/7/labels?v&dry_run=no&dry_run=yes")));  // repeated: disagree
  CHECK(!matchRequest(tool, facts("PATCH", "/api/items//labels?v&dry_run=no")));  // {id} is one non-empty segment
  CHECK(!matchRequest(tool, facts("PATCH", "/api/items/7/8/labels?v&dry_run=no")));
  CHECK(matchRequest(tool, facts("GET", "/files")));
  CHECK(matchRequest(tool, facts("GET", "/files/a/b/c")));
  CHECK(!matchRequest(tool, facts("GET", "/filesx")));
  CHECK(!matchRequest(tool, facts("GET", "/files/../api/items/7")));  // resolved before matching
  auto other = facts("GET", "/api/items");
  other.port = 443;
  CHECK(!matchRequest(tool, other));
  other = facts("GET", "/api/items");
  other.scheme = "http";
  CHECK(!matchRequest(tool, other));
}

TEST_CASE("inspect: a refusal names the rule that would allow the request") {
  CHECK(ruleFor(facts("DELETE", "/api/items/7")) == R"(request DELETE "https://127.0.0.1:18443/api/items/7")");
  CHECK(ruleText(apiTool().actions[1].requests[0]) ==
        R"(request PATCH "https://127.0.0.1:18443/api/items/{id}/labels" query "dry_run=no", "v")");
  // The query as constraints the language reads (a URL in a rule has no "?"), decoded, escaped.
  RequestFacts withQuery{
      "GET", "https", "127.0.0.1", 18443, {"/repo.git/info/refs", "service=git-receive-pack&a%22b=x+%5Cy&flag&c=%01"}};
  CHECK(
      ruleFor(withQuery) ==
      R"(request GET "https://127.0.0.1:18443/repo.git/info/refs" query "service=git-receive-pack", "a\"b=x \\y", "flag", "c")");
  RequestFacts v6{"GET", "https", "::1", 443, {"/", ""}};
  CHECK(urlOf(v6) == "https://[::1]/");
}

TEST_CASE("inspect: a well-formed head is judged, its facts taken from the connection, not the client") {
  auto v = head("GET /api//items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nAccept: */*\r\n\r\n");
  REQUIRE(v.status == 0);
  CHECK(v.facts.method == "GET");
  CHECK(v.facts.host == "127.0.0.1");
  CHECK(v.facts.target.path == "/api/items");
  v = head("GET https://127.0.0.1:18443/api/items?x HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n");
  CHECK(v.status == 0);
  CHECK(v.facts.target.query == "x");
  v = head("POST /x HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  CHECK(v.status == 0);
  CHECK(v.expectContinue);
}

TEST_CASE("inspect: smuggling, disagreeing destinations, tunnels and upgrades are refused outright") {
  const std::string host = "Host: 127.0.0.1:18443\r\n";
  auto status = [](const std::string& text) { return head(text).status; };
  CHECK(status("POST /x HTTP/1.1\r\n" + host + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(status("POST /x HTTP/1.1\r\n" + host + "Content-Length: 3\r\nContent-Length: 3\r\n\r\n") == 400);
  CHECK(status("POST /x HTTP/1.1\r\n" + host + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n") == 400);
  CHECK(status("POST /x HTTP/1.1\r\n" + host + "Content-Length: +3\r\n\r\n") == 400);
  CHECK(status("POST /x HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n") == 400);
  CHECK(status("POST /x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") ==
        400);
  CHECK(head("GET /x HTTP/1.1\r\n" + host + "X-A: 1\r\n  folded\r\n\r\n").why == "a header line is folded (obs-fold)");
  CHECK(status("GET /x HTTP/1.1\r\n" + host + "X-A: 1\n\r\n") == 400);
  CHECK(status("GET /x HTTP/1.1\r\nHost: 127.0.0.1:18444\r\n\r\n") == 400);
  CHECK(status("GET /x HTTP/1.1\r\nHost: example.com:18443\r\n\r\n") == 400);
  CHECK(status("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") == 400);  // https default 443, not 18443
  CHECK(status("GET /x HTTP/1.1\r\n" + host + "Host: example.com\r\n\r\n") == 400);
  CHECK(status("GET /x HTTP/1.1\r\n\r\n") == 400);
  CHECK(status("GET https://example.com:18443/x HTTP/1.1\r\n" + host + "\r\n") == 400);
  CHECK(status("GET http://127.0.0.1:18443/x HTTP/1.1\r\n" + host + "\r\n") == 400);  // scheme differs
  CHECK(status("GET https://user@127.0.0.1:18443/x HTTP/1.1\r\n" + host + "\r\n") == 400);
  CHECK(head("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").why ==
        "CONNECT inside an intercepted connection");
  CHECK(status("GET /x HTTP/1.1\r\n" + host + "Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAA\r\n\r\n") ==
        403);
  CHECK(status("GET /x HTTP/1.1\r\n" + host + "Upgrade: websocket\r\n\r\n") == 403);
  CHECK(status("GET /a%2Fb HTTP/1.1\r\n" + host + "\r\n") == 400);
  CHECK(status("GET /x HTTP/2.0\r\n" + host + "\r\n") == 400);
}
