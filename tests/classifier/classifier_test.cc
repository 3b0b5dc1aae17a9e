// The classifier against its fixtures: scenario policies and one firing and one clean fixture per
// rule, each stating its expected tiers, decisions and findings (fixture.h); and the rule table
// against the seed documents it cites.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>

#include "classifier/data_flow.h"
#include "classifier/facts.h"
#include "classifier/fixture.h"
#include "classifier/rule_table.h"
#include "support/paths.h"
#include "support/skip.h"

namespace fs = std::filesystem;
using namespace sbx;
using namespace sbx::test;

namespace {

std::string show(const std::multiset<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += x + " ";
  return out;
}

std::vector<fs::path> fixtures(const std::string& dir) {
  return filesUnder(sourceDir() / "tests/classifier" / dir, ".sbx");
}

void checkFixture(const fs::path& file) {
  CAPTURE(file);
  Expectations want = readExpectations(file);
  Outcome got = classifyFixture(file);
  REQUIRE_MESSAGE(got.valid, got.diagnostics);
  REQUIRE_MESSAGE(!want.tiers.empty(), "a fixture must state at least one `#> tier`");
  for (const auto& [task, tier] : want.tiers) {
    INFO("task " << task);
    REQUIRE(got.tiers.count(task));
    CHECK(got.tiers[task] == tier);
  }
  for (const auto& [task, ids] : want.fired) {
    INFO("task " << task);
    CHECK(fmt::format("{}", fmt::join(got.fired[task], ",")) == fmt::format("{}", fmt::join(ids, ",")));
  }
  CHECK(show(got.findings) == show(want.findings));
  CHECK(show(got.suppressed) == show(want.suppressed));
}

}  // namespace

TEST_CASE("every scenario policy gets the tier, decisions and findings it states") {
  auto files = fixtures("scenarios");
  CHECK(files.size() >= 40);
  for (const auto& f : files) checkFixture(f);
}

TEST_CASE("every rule fixture gets the tier, decisions and findings it states") {
  for (const auto& f : fixtures("rules")) checkFixture(f);
}

TEST_CASE("every finding rule has a fixture where it fires and one where it does not") {
  for (const auto& r : classifier::rules()) {
    if (!r.findingSeverity()) continue;
    CAPTURE(r.name);
    fs::path fires = sourceDir() / "tests/classifier/rules" / (std::string(r.name) + ".fires.sbx");
    fs::path clean = sourceDir() / "tests/classifier/rules" / (std::string(r.name) + ".clean.sbx");
    REQUIRE(fs::exists(fires));
    REQUIRE(fs::exists(clean));
    auto firing = classifyFixture(fires), quiet = classifyFixture(clean);
    REQUIRE(firing.valid);
    REQUIRE(quiet.valid);
    auto has = [&](const Outcome& o) {
      for (const auto& set : {o.findings, o.suppressed})
        for (const auto& key : set)
          if (key.starts_with(r.id() + "@")) return true;
      return false;
    };
    CHECK(has(firing));
    CHECK(!has(quiet));
  }
}

TEST_CASE("every tier rule and escalator fires in some fixture and stays quiet in another") {
  std::map<std::string, int> firedIn, quietIn;
  std::vector<fs::path> all = fixtures("scenarios");
  for (const auto& f : fixtures("rules")) all.push_back(f);
  for (const auto& f : all) {
    auto got = classifyFixture(f);
    for (const auto& [task, ids] : got.fired)
      for (const auto& r : classifier::rules()) {
        bool fired = std::find(ids.begin(), ids.end(), r.id()) != ids.end();
        ++(fired ? firedIn : quietIn)[r.id()];
      }
  }
  for (const auto& r : classifier::rules()) {
    if (r.kind == classifier::RuleKind::Lint) continue;
    CAPTURE(r.name);
    CHECK(firedIn[r.id()] > 0);
    CHECK(quietIn[r.id()] > 0);
  }
}

TEST_CASE("every rule cites a seed document by title and address") {
  for (const auto& r : classifier::rules()) {
    CAPTURE(r.name);
    const auto& seed = classifier::seedDocument(r.seeds);
    CHECK(!seed.title.empty());
    CHECK(seed.url.substr(0, 8) == "https://");
  }
}

// The seed texts are not part of the repository: they sit beside it where the rules were written.
TEST_CASE("every rule quotes its seed document verbatim") {
  const auto seedDir = sourceDir() / "../shared/seeds";
  if (!std::filesystem::is_directory(seedDir))
    return skipTest("the seed documents' texts are not at " + seedDir.string());
  std::map<std::string, std::string> seeds;
  for (const auto& f : filesUnder(seedDir, ".txt")) {
    std::string text = readText(f), flat;
    for (char c : text) flat += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;  // quotes may span lines
    seeds[f.filename().string().substr(0, 3)] = flat;
  }
  REQUIRE(seeds.size() == 5);
  for (const auto& r : classifier::rules()) {
    CAPTURE(r.name);
    REQUIRE(seeds.count(std::string(r.seeds)));
    CHECK(seeds[std::string(r.seeds)].find(r.quote) != std::string::npos);
    CHECK(!r.referenceList().empty());
  }
}

TEST_CASE("rule IDs and names are unique and stable in form") {
  std::set<std::string> ids, names;
  for (const auto& r : classifier::rules()) {
    CHECK(ids.insert(r.id()).second);
    CHECK(names.insert(std::string(r.name)).second);
    CHECK(r.number >= 1000);
    CHECK(r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string_view::npos);
  }
}

TEST_CASE("interpreters are told by their file name, with a version suffix, not by a prefix") {
  using classifier::interpreterNamed;
  for (const char* path : {"/usr/bin/python3", "/usr/bin/python3.11", "/bin/sh", "/usr/bin/env", "node", "lua5.4"})
    CHECK_MESSAGE(interpreterNamed(path).has_value(), path);
  for (const char* path : {"/usr/bin/shellcheck", "/usr/bin/envsubst", "/usr/bin/python3-config", "/usr/bin/curl",
                           "/usr/local/bin/nodemon", "/opt/python3/bin/tool"})
    CHECK_MESSAGE(!interpreterNamed(path).has_value(), path);
  CHECK(interpreterNamed("/usr/bin/python3") == "the Python interpreter");
}

TEST_CASE("host sockets: a grant that is, lies inside or contains one, under /run or /var/run") {
  using classifier::hostSocketsReached;
  for (const char* path : {"/var/run/docker.sock", "/run/docker.sock", "/run", "/var/run", "/var", "/",
                           "/run/containerd/containerd.sock", "/var/lib/kubelet", "/var/lib/kubelet/plugins/csi.sock"})
    CHECK_MESSAGE(!hostSocketsReached(path).runtimes.empty(), path);
  for (const char* path : {"/run/user/1000", "/var/run/dbus/system_bus_socket", "/tmp", "/tmp/.X11-unix/X0",
                           "/run/systemd/journal/socket"})
    CHECK_MESSAGE(!hostSocketsReached(path).services.empty(), path);
  for (const char* path :
       {"/run/lock", "/var/runner", "/var/log", "/var/lib/apt", "/tmp/build", "/run/users", "/var/lib/kubeletx"}) {
    CHECK_MESSAGE(hostSocketsReached(path).runtimes.empty(), path);
    CHECK_MESSAGE(hostSocketsReached(path).services.empty(), path);
  }
  CHECK(hostSocketsReached("/run/dbus").services == std::vector<std::string>{"/run/dbus: the system D-Bus"});
}

TEST_CASE("send sinks: one recipient or a pattern inside one organisation's domain is bounded") {
  using classifier::isBoundedSink;
  for (const char* sink : {"#ops-alerts", "mailto:oncall@acme.example", "mailto:*@acme.example",
                           "https://*.acme.example/hooks", "https://github.com/acme/payments/pulls"})
    CHECK_MESSAGE(isBoundedSink(sink), sink);
  for (const char* sink : {"", "*", "mailto:*", "#ops-*", "*@*.example", "mailto:*@example", "https://*.example/x"})
    CHECK_MESSAGE(!isBoundedSink(sink), sink);
}

TEST_CASE("a system name and an input location name the same host") {
  using classifier::hostNamed;
  CHECK(hostNamed("https://Tickets.acme.example:443/queues/support") == "tickets.acme.example");
  CHECK(hostNamed("tickets.acme.example.") == "tickets.acme.example");
  CHECK(hostNamed("postgres://svc@db.acme.example/orders") == "db.acme.example");
  CHECK(hostNamed("warehouse://analytics/churn") == "analytics");
}
