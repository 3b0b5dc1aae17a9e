// The one check of host names that the compiler (policies) and sbx-run's proxy (requests) share
// (common/net/host_name.h): what it accepts, how it normalises, and why it refuses.
#include <doctest/doctest.h>

#include <string>

#include "net/host_name.h"

using sbx::canonicalHostName;

namespace {

std::string refusal(std::string_view text) {
  std::string why;
  auto name = canonicalHostName(text, why);
  CHECK_FALSE(name);
  return why;
}

std::string accepted(std::string_view text) {
  std::string why;
  auto name = canonicalHostName(text, why);
  INFO(why);
  REQUIRE(name);
  return *name;
}

}  // namespace

TEST_CASE("host names: LDH labels, folded to lower case, one trailing dot removed") {
  CHECK(accepted("api.example.com") == "api.example.com");
  CHECK(accepted("API.Example.COM") == "api.example.com");
  CHECK(accepted("example.com.") == "example.com");
  CHECK(accepted("localhost") == "localhost");
  CHECK(accepted("xn--mnchen-3ya.example") == "xn--mnchen-3ya.example");  // an IDNA A-label is LDH
  CHECK(accepted("a-b.1x.example") == "a-b.1x.example");
  CHECK(accepted(std::string(63, 'a') + ".example") == std::string(63, 'a') + ".example");
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                        std::string(61, 'd');  // 253 bytes
  CHECK(accepted(longest) == longest);
  CHECK(accepted(longest + ".") == longest);
}

TEST_CASE("host names: bytes a resolver would read otherwise are refused") {
  using namespace std::string_literals;
  CHECK(refusal("evil.test\0.example.test"s) == "contains the control byte 0x00");
  CHECK(refusal("secret.exfil\0.example.test"s) == "contains the control byte 0x00");
  CHECK(refusal("a\x01"
                "b.example.test") == "contains the control byte 0x01");
  CHECK(refusal("a\nb.example.test") == "contains the control byte 0x0a");
  CHECK(refusal("a\x7f.example.test") == "contains the control byte 0x7f");
  CHECK(refusal("evil%2etest.example.test") == "contains `%`; host names have letters, digits, `-` and `.`");
  CHECK(refusal("under_score.example.test") == "contains `_`; host names have letters, digits, `-` and `.`");
  CHECK(refusal("user@example.test") == "contains `@`; host names have letters, digits, `-` and `.`");
  CHECK(refusal("a b.example.test") == "contains ` `; host names have letters, digits, `-` and `.`");
  CHECK(refusal("m\xc3\xbcnchen.example") ==
        "is not ASCII; write an internationalised name as its IDNA A-labels (`xn--...`)");
  CHECK(refusal("*.example.test") == "contains `*`; host names have letters, digits, `-` and `.`");
}

TEST_CASE("host names: lengths, empty labels, hyphens, numeric last labels") {
  CHECK(refusal("") == "is empty");
  CHECK(refusal(".") == "is empty");
  CHECK(refusal("example.com..") == "has an empty label");
  CHECK(refusal(".example.com") == "has an empty label");
  CHECK(refusal("a..example.com") == "has an empty label");
  CHECK(refusal(std::string(64, 'a') + ".example").starts_with("has a label longer than 63 characters"));
  std::string tooLong = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                        std::string(62, 'd');  // 254 bytes
  CHECK(refusal(tooLong) == "is longer than 253 characters");
  CHECK(refusal("-bad.example") == "has a label starting or ending with `-` (`-bad`)");
  CHECK(refusal("bad-.example") == "has a label starting or ending with `-` (`bad-`)");
  CHECK(refusal("127.1") == "ends in an all-numeric label, which resolvers read as an IPv4 address");
  CHECK(refusal("0x7f.1") == "ends in an all-numeric label, which resolvers read as an IPv4 address");
  CHECK(refusal("example.123") == "ends in an all-numeric label, which resolvers read as an IPv4 address");
  // inet_aton reads 0x-prefixed hex parts too: a name that ends in one is an address to it.
  CHECK(refusal("0xa9fea9fe") == "ends in a hexadecimal label (`0xa9fea9fe`), which resolvers read as an IPv4 address");
  CHECK(refusal("0xa9.0xfe.0xa9.0xfe").starts_with("ends in a hexadecimal label (`0xfe`)"));
  CHECK(refusal("metadata.0X10").starts_with("ends in a hexadecimal label (`0X10`)"));
  CHECK(refusal("example.0x").starts_with("ends in a hexadecimal label"));
  CHECK(accepted("example.0xg1") == "example.0xg1");  // not a number to any reader
}

TEST_CASE("host names: the metadata names in any case and with the root's dot are the metadata names") {
  CHECK(accepted("metadata.google.internal.") == "metadata.google.internal");
  CHECK(accepted("METADATA.Google.INTERNAL") == "metadata.google.internal");
  CHECK(accepted("Metadata.Goog.") == "metadata.goog");
  CHECK(refusal("metadata.google.internal..") == "has an empty label");
}

TEST_CASE("host names: printable text for diagnostics and audit lines") {
  using namespace std::string_literals;
  CHECK(sbx::printableHostText("evil.test\0.example.test"s) == "evil.test\\x00.example.test");
  CHECK(sbx::printableHostText("a`b") == "a\\x60b");
  CHECK(sbx::printableHostText("ok.example") == "ok.example");
}
