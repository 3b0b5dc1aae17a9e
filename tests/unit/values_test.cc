// Literal values: units, paths, destinations, dates, integers.
#include <doctest/doctest.h>

#include "frontend/values.h"

using namespace sbx;
using namespace sbx::frontend;

namespace {
Span at() {
  return {0, 1, 1, 1, 2};
}
}  // namespace

TEST_CASE("durations") {
  DiagnosticSink d;
  CHECK(parseDuration("30s", at(), d) == 30'000u);
  CHECK(parseDuration("1h30m", at(), d) == 5'400'000u);
  CHECK(parseDuration("500ms", at(), d) == 500u);
  CHECK(parseDuration("2d", at(), d) == 172'800'000u);
  CHECK(!d.hasErrors());
  for (const char* bad : {"10", "0s", "1.5h", "30m1h", "1m1m", "10min", "99999999999999999999d"}) {
    CAPTURE(bad);
    DiagnosticSink e;
    CHECK(!parseDuration(bad, at(), e));
    REQUIRE(e.all().size() == 1);
    CHECK(e.all()[0].id == "SBX0040");
  }
  CHECK(formatDuration(5'400'000) == "1h30m");
}

TEST_CASE("sizes") {
  DiagnosticSink d;
  CHECK(parseSize("512MiB", at(), d) == 512ull << 20);
  CHECK(parseSize("1GB", at(), d) == 1'000'000'000u);
  CHECK(parseSize("64KiB", at(), d) == 65536u);
  CHECK(!d.hasErrors());
  DiagnosticSink e;
  CHECK(!parseSize("512mb", at(), e));
  CHECK(e.all()[0].helps[0] == "write `512MB`");
  for (const char* bad : {"1.5GiB", "0MiB", "20000000TiB", "1h"}) {
    CAPTURE(bad);
    DiagnosticSink f;
    CHECK(!parseSize(bad, at(), f));
    CHECK(f.all()[0].id == "SBX0041");
  }
  CHECK(formatSize(256ull << 20) == "256MiB");
}

TEST_CASE("paths must be absolute and normalized") {
  DiagnosticSink d;
  CHECK(checkPath("/usr/lib", at(), d) == "/usr/lib");
  CHECK(checkPath("/", at(), d) == "/");
  CHECK(!d.hasErrors());
  struct Case {
    const char* path;
    const char* help;
  };
  for (auto [path, help] :
       {Case{"usr/lib", "write it absolute, e.g. \"/usr/lib\""}, Case{"/a/../b", "write \"/b\""},
        Case{"/a//b", "write \"/a/b\""}, Case{"/a/./b", "write \"/a/b\""}, Case{"/a/", "write \"/a\""},
        Case{"~/.ssh", "write the absolute path, e.g. \"/home/agent/.cache\""}}) {
    CAPTURE(path);
    DiagnosticSink e;
    CHECK(!checkPath(path, at(), e));
    REQUIRE(e.all().size() == 1);
    CHECK(e.all()[0].id == "SBX0042");
    CHECK(e.all()[0].helps.at(0) == help);
  }
  DiagnosticSink n;
  CHECK(!checkPath(std::string_view("/a\0b", 4), at(), n));
  CHECK(!checkPath("", at(), n));
}

TEST_CASE("destinations") {
  DiagnosticSink d;
  auto host = parseDestination("API.Example.com:443", at(), d);
  REQUIRE(host);
  CHECK(host->kind == model::Destination::Kind::Host);
  CHECK(host->host == "api.example.com");
  CHECK(host->text == "api.example.com:443");
  auto wild = parseDestination("*.github.com:443", at(), d);
  REQUIRE(wild);
  CHECK(wild->kind == model::Destination::Kind::Wildcard);
  CHECK(wild->host == "github.com");
  auto cidr = parseDestination("10.0.0.0/8:5432", at(), d);
  REQUIRE(cidr);
  CHECK(cidr->kind == model::Destination::Kind::Cidr);
  CHECK(cidr->prefix == 8);
  auto v6 = parseDestination("[2001:DB8::1]:8000-8999", at(), d);
  REQUIRE(v6);
  CHECK(v6->address == "2001:db8::1");
  CHECK(v6->portLow == 8000);
  CHECK(v6->portHigh == 8999);
  CHECK(v6->text == "[2001:db8::1]:8000-8999");
  auto any = parseDestination("*:*", at(), d);
  REQUIRE(any);
  CHECK(any->kind == model::Destination::Kind::Any);
  CHECK(!d.hasErrors());
  for (const char* bad :
       {"api.example.com", "https://a.example:443", "10.0.0.1/8:443", "1.2.3:80", "010.0.0.1:80", "a..b:443",
        "-a.example:443", "foo*.example:443", "a.example:0", "a.example:70000", "a.example:9-3", "2001:db8::1:443",
        "[::1:443", "a.example:443/path", "under_score.example:443", "10.0.0.0/33:1"}) {
    CAPTURE(bad);
    DiagnosticSink e;
    CHECK(!parseDestination(bad, at(), e));
    REQUIRE(e.all().size() == 1);
    CHECK(e.all()[0].id == "SBX0043");
  }
}

TEST_CASE("destinations: an IPv4-mapped address is the IPv4 address in the model") {
  DiagnosticSink d;
  for (const char* text : {"[::ffff:169.254.169.254]:80", "[::ffff:a9fe:a9fe]:80", "[::FFFF:A9FE:A9FE]:80"}) {
    CAPTURE(text);
    auto mapped = parseDestination(text, at(), d);
    REQUIRE(mapped);
    CHECK(mapped->kind == model::Destination::Kind::Ip);
    CHECK(mapped->family == 4);
    CHECK(mapped->prefix == 32);
    CHECK(mapped->address == "169.254.169.254");
    CHECK(mapped->text == "169.254.169.254:80");
  }
  auto network = parseDestination("[::ffff:10.0.0.0/104]:5432", at(), d);
  REQUIRE(network);
  CHECK(network->kind == model::Destination::Kind::Cidr);
  CHECK(network->family == 4);
  CHECK(network->address == "10.0.0.0");
  CHECK(network->prefix == 8);
  auto wide = parseDestination("[::fffe:0:0/95]:443", at(), d);  // reaches more than IPv4: stays IPv6
  REQUIRE(wide);
  CHECK(wide->family == 6);
  auto name = parseDestination("METADATA.google.internal.:80", at(), d);
  REQUIRE(name);
  CHECK(name->host == "metadata.google.internal");
  CHECK(!d.hasErrors());
}

TEST_CASE("destinations: the spellings resolvers read differently are refused with what they mean") {
  struct Case {
    const char* text;
    const char* message;
  };
  for (auto [text, message] : std::initializer_list<Case>{
           {"2852039166:80", "`2852039166` is read as the IPv4 address 169.254.169.254 by the C library"},
           {"0251.0376.0251.0376:80", "`0251.0376.0251.0376` is read as the IPv4 address 169.254.169.254"},
           {"0xa9fea9fe:80", "`0xa9fea9fe` is read as the IPv4 address 169.254.169.254"},
           {"169.254.43518:80", "`169.254.43518` is read as the IPv4 address 169.254.169.254"},
           {"127.1:80", "`127.1` is read as the IPv4 address 127.0.0.1"},
           {"[::169.254.169.254]:80", "`::169.254.169.254` is an IPv4-compatible IPv6 address"},
           {"[fe80::1%eth0]:80", "`fe80::1%eth0` has a zone id (`%eth0`)"},
           {"metadata.0x10:80", "host name `metadata.0x10` ends in a hexadecimal label"},
       }) {
    CAPTURE(text);
    DiagnosticSink e;
    CHECK(!parseDestination(text, at(), e));
    REQUIRE(e.all().size() == 1);
    CHECK(e.all()[0].id == "SBX0043");
    CHECK(e.all()[0].message.starts_with(message));
  }
}

TEST_CASE("dates and integers") {
  DiagnosticSink d;
  CHECK(parseDate("2028-02-29", at(), d).has_value());
  CHECK(!parseDate("2027-02-29", at(), d).has_value());
  CHECK(!parseDate("2027-13-01", at(), d).has_value());
  CHECK(parseInteger("0x5412", at(), d) == 0x5412u);
  CHECK(parseInteger("0o755", at(), d) == 0755u);
  CHECK(parseInteger("0b101", at(), d) == 5u);
  CHECK(!parseInteger("99999999999999999999999", at(), d));
  CHECK(lookupConstant("TIOCSTI") == 0x5412u);
  CHECK(lookupConstant("CLONE_NEWUSER") == 0x10000000u);
  CHECK(!lookupConstant("NOT_A_CONSTANT"));
}
