// The egress allowlist's judgements (plan/egress_rules.h), without a network: which requests
// match which rules, and which resolved addresses the proxy may connect to.
#include <doctest/doctest.h>

#include "plan/egress_rules.h"
#include "runtime/proxy_capacity.h"
#include "runtime/proxy_refusal.h"
#include "runtime/resolved_names.h"

using namespace sbx::run;

namespace {

sbx::plan::Destination rule(const std::string& text, const std::string& kind, const std::string& hostOrAddress,
                            int prefix, int low, int high, const std::string& tool = "") {
  using Kind = sbx::plan::DestinationKind;
  sbx::plan::Destination r;
  r.text = text;
  r.kind = kind == "ip"         ? Kind::Ip
           : kind == "cidr"     ? Kind::Cidr
           : kind == "wildcard" ? Kind::Wildcard
           : kind == "any"      ? Kind::Any
                                : Kind::Host;
  r.portLow = static_cast<std::uint16_t>(low);
  r.portHigh = static_cast<std::uint16_t>(high);
  r.protocol = "tcp";
  if (kind == "ip" || kind == "cidr") {
    r.address = hostOrAddress;
    r.family = hostOrAddress.find(':') == std::string::npos ? 4 : 6;
    r.prefix = prefix;
  } else {
    r.host = hostOrAddress;
  }
  r.tool = tool;
  return r;
}

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

}  // namespace

TEST_CASE("egress rules: names, wildcards, ports and address literals") {
  auto rules = EgressRules::fromPlan({rule("api.example.com:443", "host", "api.example.com", 0, 443, 443),
                                      rule("*.github.com:443", "wildcard", "github.com", 0, 443, 443),
                                      rule("10.42.8.0/24:5432", "cidr", "10.42.8.0", 24, 5432, 5432),
                                      rule("127.0.0.1:8000-8999", "ip", "127.0.0.1", 32, 8000, 8999)},
                                     {});
  CHECK(rules.matchName("api.example.com", 443, ""));
  CHECK(rules.matchName("API.Example.COM", 443, ""));
  CHECK_FALSE(rules.matchName("api.example.com", 80, ""));
  CHECK_FALSE(rules.matchName("evil-api.example.com", 443, ""));
  CHECK(rules.matchName("raw.github.com", 443, ""));
  CHECK(rules.matchName("a.b.github.com", 443, ""));
  CHECK_FALSE(rules.matchName("github.com", 443, ""));  // subdomains only
  CHECK_FALSE(rules.matchName("notgithub.com", 443, ""));
  CHECK(rules.matchName("10.42.8.77", 5432, ""));
  CHECK_FALSE(rules.matchName("10.42.9.1", 5432, ""));
  CHECK(rules.matchName("127.0.0.1", 8500, ""));
  CHECK_FALSE(rules.matchName("127.0.0.1", 9000, ""));
  CHECK_FALSE(rules.matchName("127.0.0.2", 8500, ""));
}

TEST_CASE("egress rules: an IPv4-mapped network in the plan covers the IPv4 addresses it maps") {
  auto rules =
      EgressRules::fromPlan({rule("[::ffff:10.42.0.0/112]:5432", "cidr", "::ffff:10.42.0.0", 112, 5432, 5432)}, {});
  CHECK(rules.matchName("10.42.8.77", 5432, ""));
  CHECK(rules.matchName("[::ffff:10.42.8.77]", 5432, ""));
  CHECK_FALSE(rules.matchName("10.43.0.1", 5432, ""));
  CHECK_FALSE(rules.refuseAddress(ip("10.42.8.77"), 5432, nullptr, ""));  // a private address the rule names
  CHECK(rules.refuseAddress(ip("10.43.0.1"), 5432, nullptr, ""));
}

TEST_CASE("egress rules: resolved addresses") {
  auto rules = EgressRules::fromPlan(
      {rule("api.example.com:443", "host", "api.example.com", 0, 443, 443),
       rule("10.42.8.0/24:5432", "cidr", "10.42.8.0", 24, 5432, 5432),
       rule("169.254.169.254:80", "ip", "169.254.169.254", 32, 80, 80), rule("*:443", "any", "", 0, 443, 443)},
      {});
  const EgressRule* byName = rules.matchName("api.example.com", 443, "");
  REQUIRE(byName);
  CHECK_FALSE(rules.refuseAddress(ip("93.184.216.34"), 443, byName, ""));
  // A name may not resolve into loopback, private or link-local space unless that is named.
  CHECK(rules.refuseAddress(ip("127.0.0.1"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("10.0.0.5"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("192.168.1.1"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("::1"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("::ffff:127.0.0.1"), 443, byName, ""));  // IPv4-mapped
  CHECK(rules.refuseAddress(ip("fd12::1"), 443, byName, ""));
  CHECK_FALSE(rules.refuseAddress(ip("10.42.8.9"), 5432, nullptr, ""));  // named by the CIDR rule
  // Metadata and link-local: refused even when the policy names them.
  CHECK(rules.refuseAddress(ip("169.254.169.254"), 80, rules.matchName("169.254.169.254", 80, ""), ""));
  CHECK(rules.refuseAddress(ip("fd00:ec2::254"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("fe80::1"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("0.0.0.0"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("224.0.0.1"), 443, byName, ""));
  CHECK(rules.refuseAddress(ip("93.184.216.34"), 443, nullptr, ""));  // matched no rule
}

TEST_CASE("egress rules: a tool's destinations are that tool's alone") {
  sbx::plan::Tool deployer;
  deployer.name = "deployer";
  deployer.exec = "/usr/local/bin/deploy";
  auto rules = EgressRules::fromPlan({rule("task.example:443", "host", "task.example", 0, 443, 443),
                                      rule("deploy.example:443", "host", "deploy.example", 0, 443, 443, "deployer")},
                                     {deployer});
  CHECK(rules.hasToolRules());
  CHECK(rules.toolOf("/usr/local/bin/deploy") == "deployer");
  CHECK(rules.toolOf("/usr/bin/python3").empty());
  CHECK(rules.matchName("task.example", 443, ""));
  CHECK(rules.matchName("task.example", 443, "deployer"));
  CHECK_FALSE(rules.matchName("deploy.example", 443, ""));
  CHECK(rules.matchName("deploy.example", 443, "deployer"));
}

TEST_CASE("egress rules: the names the DNS stub answers, any port and any tool's, never an address") {
  sbx::plan::Tool deployer;
  deployer.name = "deployer";
  deployer.exec = "/usr/local/bin/deploy";
  auto rules = EgressRules::fromPlan({rule("api.example:8000-8100", "host", "api.example", 0, 8000, 8100),
                                      rule("*.cdn.example:443", "wildcard", "cdn.example", 0, 443, 443),
                                      rule("deploy.example:443", "host", "deploy.example", 0, 443, 443, "deployer"),
                                      rule("10.0.0.0/8:5432", "cidr", "10.0.0.0", 8, 5432, 5432)},
                                     {deployer});
  CHECK(rules.namesHost("api.example"));
  CHECK(rules.namesHost("a.b.cdn.example"));
  CHECK_FALSE(rules.namesHost("cdn.example"));  // a wildcard names subdomains only
  CHECK(rules.namesHost("deploy.example"));     // a tool's: a query tells no tool
  CHECK_FALSE(rules.namesHost("other.example"));
  CHECK_FALSE(rules.namesHost("10.1.2.3"));
  auto everything = EgressRules::fromPlan({rule("*:443", "any", "", 0, 443, 443)}, {});
  CHECK(everything.namesHost("anything.example"));
  CHECK_FALSE(EgressRules{}.namesHost("api.example"));
}

TEST_CASE("resolved names: an address opens by the names that resolved to it, per tool and port, within bounds") {
  sbx::plan::Tool deployer;
  deployer.name = "deployer";
  deployer.exec = "/usr/local/bin/deploy";
  auto rules = EgressRules::fromPlan({rule("api.example:443", "host", "api.example", 0, 443, 443),
                                      rule("deploy.example:443", "host", "deploy.example", 0, 443, 443, "deployer")},
                                     {deployer});
  ResolvedNames names;
  CHECK(names.remember("api.example", {ip("198.51.100.7"), ip("2001:db8::7")}));
  CHECK(names.remember("deploy.example", {ip("::ffff:198.51.100.9")}));  // remembered as the IPv4 address
  std::string byName;
  CHECK(matchResolved(rules, &names, ip("198.51.100.7"), 443, "", &byName));
  CHECK(byName == "api.example");
  CHECK(matchResolved(rules, &names, ip("2001:db8::7"), 443, ""));
  CHECK_FALSE(matchResolved(rules, &names, ip("198.51.100.7"), 80, ""));  // the rule's port only
  CHECK_FALSE(matchResolved(rules, &names, ip("198.51.100.8"), 443, ""));
  CHECK_FALSE(matchResolved(rules, &names, ip("198.51.100.9"), 443, ""));  // the tool's name
  CHECK(matchResolved(rules, &names, ip("198.51.100.9"), 443, "deployer"));
  CHECK_FALSE(matchResolved(rules, nullptr, ip("198.51.100.7"), 443, ""));

  ResolvedNames bounded;
  std::vector<IpAddress> tooMany;
  for (int i = 0; i <= static_cast<int>(ResolvedNames::kMaxAddressesPerName); ++i)
    tooMany.push_back(ip("198.51.100." + std::to_string(i)));
  CHECK_FALSE(bounded.remember("api.example", tooMany));
  CHECK(bounded.namesOf(ip("198.51.100.1")).empty());  // nothing of it added
  for (std::size_t i = 0; i < ResolvedNames::kMaxNames; ++i)
    REQUIRE(bounded.remember("n" + std::to_string(i) + ".example", {ip("203.0.113.1")}));
  CHECK_FALSE(bounded.remember("one-more.example", {ip("203.0.113.2")}));
  CHECK(bounded.remember("n1.example", {ip("203.0.113.1")}));  // a known name still is
}

TEST_CASE("proxy capacity: connections in proportion to the memory limit, tools' reserves kept") {
  using namespace sbx::run;
  CHECK(ProxyCapacity(0, {}).limit() == kMaxProxyConnections);            // no memory limit
  CHECK(ProxyCapacity(64ull << 30, {}).limit() == kMaxProxyConnections);  // at most 256
  CHECK(ProxyCapacity(512ull << 20, {}).limit() == 170);                  // 256 MiB / 1.5 MiB
  CHECK(ProxyCapacity(64ull << 20, {"a"}).limit() == 21);                 // 32 MiB / 1.5 MiB
  CHECK(ProxyCapacity(1ull << 20, {"a", "b"}).limit() == 2 * kToolReserve + kMinAgentConnections);

  ProxyCapacity capacity(64ull << 20, {"a", "b"});  // 21: 8 kept for a and b
  int agent = 0;
  while (capacity.admit("")) ++agent;
  CHECK(agent == 21 - 2 * kToolReserve);
  CHECK_FALSE(capacity.admit("not-a-tool-with-rules"));  // the task's own share
  for (int i = 0; i < kToolReserve; ++i) CHECK(capacity.admit("a"));
  CHECK_FALSE(capacity.admit("a"));  // b's reserve is b's
  for (int i = 0; i < kToolReserve; ++i) CHECK(capacity.admit("b"));
  CHECK_FALSE(capacity.admit("b"));
  capacity.release("");
  CHECK(capacity.admit("a"));  // what the task frees is anyone's
  capacity.release("a");
  capacity.release("a");            // a holds 3: one of its reserve is free, and one more
  CHECK(capacity.admit(""));        // the task takes the one that is not a's
  CHECK_FALSE(capacity.admit(""));  // but not a's
  CHECK(capacity.admit("a"));
}

TEST_CASE("proxy refusal: the line to add, none for metadata, and nothing a client sent can forge a line") {
  CHECK(addressFix(ip("10.1.2.3"), 443) == "connect \"10.1.2.3:443\"");
  CHECK(addressFix(ip("::ffff:10.1.2.3"), 443) == "connect \"10.1.2.3:443\"");  // the IPv4 host it maps
  CHECK(addressFix(ip("fd00::1"), 443) == "connect \"[fd00::1]:443\"");
  CHECK(addressFix(ip("169.254.169.254"), 80).empty());  // no rule can allow the metadata service
  CHECK(policyDestination("::1", 8080) == "[::1]:8080");

  std::string metadata = refusalResponse({403, "Forbidden", "destination_ip_prohibited",
                                          "169.254.169.254 is link-local, cloud metadata or not a unicast address",
                                          "metadata.test:80", "connect \"metadata.test:80\"", ""},
                                         "fetch", "curl");
  CHECK(
      metadata.starts_with("HTTP/1.1 403 Forbidden\r\nProxy-Status: sbx-run; error=destination_ip_prohibited; "
                           "details=\"169.254.169.254 is link-local, cloud metadata or not a unicast address; no "
                           "policy line can allow it\"\r\n"));
  CHECK(metadata.find("task: fetch (tool curl)\n") != std::string::npos);
  CHECK(metadata.find("rule: connect \"metadata.test:80\"\n") != std::string::npos);
  CHECK(metadata.find("to allow it: no policy line can;") != std::string::npos);
  auto length = metadata.find("Content-Length: ");
  REQUIRE(length != std::string::npos);
  CHECK(std::stoul(metadata.substr(length + 16)) == metadata.size() - metadata.find("\r\n\r\n") - 4);

  std::string forged =
      refusalResponse({400, "Bad Request", "http_request_error", "host `a\"\r\nX: 1` is bad", ""}, "t", "");
  CHECK(forged.find("details=\"host `a\\\"??X: 1` is bad\"\r\n") != std::string::npos);
  CHECK(forged.find("sbx-run: host `a\"??X: 1` is bad\n") != std::string::npos);
  CHECK(forged.find("rule:") == std::string::npos);  // not a question of policy
  std::string busy =
      refusalResponse({503, "Service Unavailable", "connection_limit_reached", "all in use (17 at most)"}, "t", "");
  CHECK(
      busy.starts_with("HTTP/1.1 503 Service Unavailable\r\nProxy-Status: sbx-run; error=connection_limit_reached; "
                       "details=\"all in use (17 at most)\"\r\n"));
  CHECK(busy.ends_with("\r\n\r\nsbx-run: all in use (17 at most)\ntask: t\n"));
}
