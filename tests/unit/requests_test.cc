// Request rules, approval timeouts and injected secrets: from the text through the model into
// plan.json's description, and an injected secret never among the tokens minted into the sandbox.
#include <doctest/doctest.h>

#include "backends/plan.h"
#include "backends/token_plan.h"
#include "frontend/format.h"
#include "frontend/frontend.h"
#include "support/load_text.h"

using namespace sbx;

namespace {

using sbx::test::ids;
using sbx::test::load;
using sbx::test::Loaded;

const char* kPolicy = R"(
task t {
  tool api {
    exec "/usr/bin/curl"
    action list effect read {
      request GET "https://API.example/items" query "state=open", "page"
    }
    action close effect write irreversible approval by "leads" {
      request POST "https://api.example/items/{id}/close"
      request POST "http://10.0.0.7:8080/items/{id}/close/**"
    }
    action label effect write reversible approval timeout 30s {
      request PATCH "https://api.example/items/{id}/labels"
    }
    connect "api.example:443", "10.0.0.0/24:8080"
  }
  secret api_token {
    source "broker://api/items"
    audience "api.example"
    inject header "Authorization" "Bearer {token}" for api
  }
  secret other {
    source "broker://api/other"
    expose env OTHER
  }
}
)";

}  // namespace

TEST_CASE("request rules, approval timeouts and injection resolve into the model") {
  auto l = load(kPolicy);
  REQUIRE(l->result.model);
  CHECK(ids(l->result).empty());
  const auto& task = l->result.model->tasks.at(0);
  const auto& tool = task.tools.at(0);
  REQUIRE(tool.actions.size() == 3);
  const auto& list = tool.actions[0];
  REQUIRE(list.requests.size() == 1);
  CHECK(list.requests[0].method == "GET");
  CHECK(list.requests[0].host == "api.example");
  CHECK(list.requests[0].port == 443);
  CHECK(list.requests[0].path == "/items");
  CHECK(list.requests[0].query == std::vector<std::string>{"state=open", "page"});
  CHECK(!list.approvalTimeoutMs);  // no approval, no timeout
  const auto& close = tool.actions[1];
  CHECK(close.approvalTimeoutMs == model::kDefaultApprovalTimeoutMs);
  REQUIRE(close.requests.size() == 2);
  CHECK(close.requests[1].url() == "http://10.0.0.7:8080/items/{id}/close/**");
  CHECK(tool.actions[2].approvalTimeoutMs == 30'000u);
  const auto& secret = task.secrets.at(0);
  REQUIRE(secret.injection);
  CHECK(secret.injection->header == "Authorization");
  CHECK(secret.injection->value == "Bearer {token}");
  CHECK(secret.injection->tool == "api");
  CHECK(!secret.exposure);
}

TEST_CASE("plan.json describes the rules, and an injected secret is minted into no sandbox") {
  auto l = load(kPolicy);
  REQUIRE(l->result.model);
  const auto& task = l->result.model->tasks.at(0);
  plan::TaskDescription d = backends::describeTask(task, *l->result.model);
  const auto& actions = d.tools.at(0).actions;
  CHECK(actions[0].requests.at(0).query.size() == 2);
  CHECK(actions[1].approvalTimeoutMs == model::kDefaultApprovalTimeoutMs);
  CHECK(actions[1].approver == "leads");
  CHECK(actions[1].requests.at(1).scheme == "http");
  CHECK(actions[1].requests.at(1).port == 8080);
  CHECK(actions[2].approvalTimeoutMs == 30'000u);
  REQUIRE(d.secrets.at(0).injection);
  CHECK(d.secrets.at(0).injection->tool == "api");
  CHECK(!d.secrets.at(1).injection);
  auto tokens = backends::tokenScopes(task);
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].secret == "other");
}

TEST_CASE("request rules are checked against the tool and the task") {
  struct Case {
    const char* what;
    const char* text;
    std::vector<std::string> ids;
  };
  for (
      const auto& c : {
          Case{
              "unreachable port",
              R"(task t { tool a { exec "/x" action r effect read { request GET "https://h.example:8443/" } connect "h.example:443" } })",
              {"SBX0065"}},
          Case{
              "task egress is not the tool's",
              R"(task t { connect "h.example:443" tool a { exec "/x" action r effect read { request GET "https://h.example/" } } })",
              {"SBX0065"}},
          Case{
              "wildcard covers subdomains",
              R"(task t { tool a { exec "/x" action r effect read { request GET "https://api.h.example/" } connect "*.h.example:443" } })",
              {}},
          Case{
              "wildcard is not the apex",
              R"(task t { tool a { exec "/x" action r effect read { request GET "https://h.example/" } connect "*.h.example:443" } })",
              {"SBX0065"}},
          Case{
              "udp does not carry https",
              R"(task t { tool a { exec "/x" action r effect read { request GET "https://10.0.0.1/" } connect "10.0.0.1:443" udp } })",
              {"SBX0065"}},
          Case{
              "the same request in two actions",
              R"(task t { tool a { exec "/x" action r effect read { request GET "https://h.example/" } action s effect read { request GET "https://h.example/" } connect "h.example:443" } })",
              {"SBX0064"}},
          Case{
              "approval timeout above an hour",
              R"(task t { tool a { exec "/x" action r effect write approval timeout 61m { request POST "https://h.example/" } connect "h.example:443" } })",
              {"SBX0046"}},
          Case{
              "inject and expose",
              R"(task t { tool a { exec "/x" action r effect read } secret s { source "broker://x" expose file for a inject header "X-Key" "{token}" for a } })",
              {"SBX0066"}},
          Case{
              "inject and uses secret",
              R"(task t { tool a { exec "/x" action r effect read uses secret s } secret s { source "broker://x" inject header "X-Key" "{token}" for a } })",
              {"SBX0066"}},
          Case{
              "inject for an unknown tool",
              R"(task t { tool a { exec "/x" action r effect read } secret s { source "broker://x" inject header "X-Key" "{token}" for b } })",
              {"SBX0030"}},
          Case{
              "inject twice",
              R"(task t { tool a { exec "/x" action r effect read } secret s { source "broker://x" inject header "X-Key" "{token}" for a inject header "X-Other" "{token}" for a } })",
              {"SBX0045"}},
          Case{
              "inject as a cookie",
              R"(task t { tool a { exec "/x" action r effect read } secret s { source "broker://x" inject cookie "k" "{token}" for a } })",
              {"SBX0066"}},
          Case{
              "injected tool without exec",
              R"(task t { tool a { action r effect read } secret s { source "broker://x" inject header "X-Key" "{token}" for a } })",
              {"SBX0058"}},
      }) {
    CAPTURE(c.what);
    auto l = load(c.text);
    CHECK(ids(l->result) == c.ids);
  }
}

TEST_CASE("fmt lays out an action's request rules as a block") {
  SourceManager sources;
  DiagnosticSink diags;
  std::string text =
      "task t{tool a{action x effect write approval  by \"g\" timeout 30s{request GET \"https://h/\" query \"a\" "
      ",\"b\"}}"
      "secret s{source \"broker://x\" inject header \"X-Key\" \"{token}\" for a}}";
  FileId id = sources.add("x.sbx", text);
  auto out = frontend::format(id, sources.file(id).text, diags);
  REQUIRE(out);
  CHECK(*out ==
        "task t {\n  tool a {\n    action x effect write approval by \"g\" timeout 30s {\n      request GET "
        "\"https://h/\" query \"a\", \"b\"\n    }\n  }\n  secret s {\n    source \"broker://x\"\n    inject header "
        "\"X-Key\" \"{token}\" for a\n  }\n}\n");
  FileId again = sources.add("y.sbx", *out);
  CHECK(frontend::format(again, sources.file(again).text, diags) == *out);
}
