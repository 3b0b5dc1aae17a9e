// plan/plan_json.h: every golden plan.json reads into a plan::Plan and writes back byte for byte;
// a plan of another schema version, or with a field missing or of the wrong type, is refused with
// a sentence that says which.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "plan/plan_json.h"
#include "support/paths.h"

namespace fs = std::filesystem;
using sbx::test::readText;
using sbx::test::sourceDir;

namespace {

std::vector<fs::path> goldenPlans() {
  std::vector<fs::path> plans;
  for (const auto& e : fs::recursive_directory_iterator(sourceDir() / "tests/goldens"))
    if (e.path().filename() == "plan.json") plans.push_back(e.path());
  std::sort(plans.begin(), plans.end());
  return plans;
}

std::string refusal(const nlohmann::json& j) {
  std::string error;
  auto plan = sbx::plan::fromJson(j, error);
  CHECK_FALSE(plan);
  return error;
}

nlohmann::json aGoldenPlan() {
  return nlohmann::json::parse(readText(sourceDir() / "tests/goldens/tool-token-demo/sbx/tool_token_demo/plan.json"));
}

}  // namespace

TEST_CASE("plan: every golden plan.json survives reader then writer unchanged") {
  auto plans = goldenPlans();
  REQUIRE(plans.size() >= 10);
  for (const auto& path : plans) {
    INFO(path.string());
    std::string text = readText(path), error;
    auto plan = sbx::plan::parsePlan(text, error);
    INFO(error);
    REQUIRE(plan);
    std::string written = sbx::plan::renderPlan(*plan);
    CHECK(written == text);
    auto again = sbx::plan::parsePlan(written, error);
    REQUIRE(again);
    CHECK(sbx::plan::renderPlan(*again) == text);
  }
}

TEST_CASE("plan: a plan of another schema version is refused before any field is read") {
  auto j = aGoldenPlan();
  j["schema"] = "sbxc.plan/v0";
  j.erase("task");
  CHECK(refusal(j) ==
        "plan.json has schema sbxc.plan/v0; this sbx-run reads sbxc.plan/v2: recompile the policy with the sbxc of "
        "the same version");
  j.erase("schema");
  CHECK(refusal(j).find("names no schema") != std::string::npos);
  CHECK(refusal(nlohmann::json::array()) == "plan.json is not a JSON object");
}

TEST_CASE("plan: a missing or mistyped field is named by its path") {
  auto j = aGoldenPlan();
  j["task"]["timeoutMs"] = "ten minutes";
  CHECK(refusal(j) == "plan.json: task.timeoutMs must be an unsigned integer, not string");
  j = aGoldenPlan();
  j["task"]["tools"][1].erase("name");
  CHECK(refusal(j) == "plan.json: task.tools[1].name is missing");
  j = aGoldenPlan();
  j["mounts"][0]["type"] = "overlay";
  CHECK(refusal(j) == "plan.json: mounts[0].type has the unknown value \"overlay\"");
  j = aGoldenPlan();
  j["tokens"][0]["exposure"] = 3;
  CHECK(refusal(j) == "plan.json: tokens[0].exposure must be an object, not number");
  j = aGoldenPlan();
  j.erase("seccomp");
  CHECK(refusal(j) == "plan.json names no seccomp filter; recompile it with this sbxc");
  std::string error;
  CHECK_FALSE(sbx::plan::parsePlan("{", error));
  CHECK(error == "plan.json is not valid JSON");
}

TEST_CASE("plan: an action's request rules and a secret's injection survive reader then writer") {
  auto j = aGoldenPlan();
  auto& action = j["task"]["tools"][0]["actions"][0];
  action["approval"] = true;
  action["approvalTimeoutMs"] = 30000u;
  action["requests"] = nlohmann::json::parse(R"([{"method": "PATCH", "scheme": "https", "host": "127.0.0.1",
      "port": 18443, "path": "/api/items/{id}/labels", "query": ["dry_run=false"]}])");
  j["task"]["secrets"][0]["injection"] = {{"header", "Authorization"}, {"value", "Bearer {token}"}, {"tool", "api"}};
  std::string error;
  auto plan = sbx::plan::fromJson(j, error);
  INFO(error);
  REQUIRE(plan);
  const auto& read = plan->task.tools[0].actions[0];
  REQUIRE(read.requests.size() == 1);
  CHECK(read.requests[0].port == 18443);
  CHECK(read.requests[0].path == "/api/items/{id}/labels");
  CHECK(read.approvalTimeoutMs == 30000u);
  REQUIRE(plan->task.secrets[0].injection);
  CHECK(plan->task.secrets[0].injection->value == "Bearer {token}");
  auto again = sbx::plan::parsePlan(sbx::plan::renderPlan(*plan), error);
  REQUIRE(again);
  CHECK(sbx::plan::renderPlan(*again) == sbx::plan::renderPlan(*plan));

  action["requests"][0]["port"] = 70000u;
  CHECK(refusal(j).find("task.tools[0].actions[0].requests[0].port") != std::string::npos);
}
