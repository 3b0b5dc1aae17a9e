// The DNS stub's reader and writer of messages (runtime/dns_message.h): queries as resolvers
// send them, and hostile ones (pointer loops, lengths past the end, dots in labels, extra
// records), each read within its bytes and refused with the reason.
#include <doctest/doctest.h>

#include <string>

#include "runtime/dns_message.h"

using namespace sbx::run::dns;
using sbx::net::IpAddress;

namespace {

std::string header(std::uint16_t id, std::uint16_t flags, int qd, int an, int ns, int ar) {
  std::string h;
  for (int v : {int{id}, int{flags}, qd, an, ns, ar}) {
    h.push_back(static_cast<char>(v >> 8));
    h.push_back(static_cast<char>(v & 0xFF));
  }
  return h;
}

std::string name(std::initializer_list<std::string> labels) {
  std::string n;
  for (const auto& l : labels) n += static_cast<char>(l.size()) + l;
  return n + '\0';
}

const std::string kTypeClassA = std::string("\0\1\0\1", 4);
const std::string kOpt = std::string("\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);

Parsed parsed(const std::string& message) {
  return parseQuery(message);
}

}  // namespace

TEST_CASE("dns messages: a resolver's query is read, and answered with its question and addresses") {
  std::string query = header(0xBEEF, 0x0100, 1, 0, 0, 1) + name({"Api", "example", "test"}) + kTypeClassA + kOpt;
  Parsed p = parsed(query);
  REQUIRE(p.kind == Parsed::Kind::Question);
  CHECK(p.query.id == 0xBEEF);
  CHECK(p.query.recursionDesired);
  CHECK(p.query.edns);
  CHECK(p.query.name() == "Api.example.test");  // case kept: the answer echoes it
  CHECK(p.query.type == kTypeA);
  CHECK(p.query.klass == kClassIn);

  std::vector<IpAddress> addresses = {*IpAddress::parse("198.51.100.7"), *IpAddress::parse("2001:db8::7")};
  std::string answer = buildAnswer(p.query, Rcode::NoError, true, addresses, 30);
  std::string question = name({"Api", "example", "test"}) + kTypeClassA;
  std::string expected = header(0xBEEF, 0x8180, 1, 2, 0, 1) + question +
                         std::string("\xc0\x0c\0\1\0\1\0\0\0\x1e\0\4\xc6\x33\x64\7", 16) +
                         std::string("\xc0\x0c\0\x1c\0\1\0\0\0\x1e\0\x10\x20\1\x0d\xb8", 16) + std::string(11, '\0') +
                         "\x07" + std::string("\0\0\x29\x02\0\0\0\0\0\0\0", 11);
  CHECK(answer == expected);
}

TEST_CASE("dns messages: errors keep the id, and name no question they could not read") {
  std::string query = header(7, 0x0100, 1, 0, 0, 0) + name({"x", "test"}) + kTypeClassA;
  Parsed p = parsed(query);
  REQUIRE(p.kind == Parsed::Kind::Question);
  CHECK(buildAnswer(p.query, Rcode::NxDomain, true) ==
        header(7, 0x8183, 1, 0, 0, 0) + name({"x", "test"}) + kTypeClassA);

  Parsed notQuery = parsed(header(9, 0x2900, 1, 0, 0, 0) + name({"x"}) + kTypeClassA);  // opcode 5 (UPDATE)
  REQUIRE(notQuery.kind == Parsed::Kind::Error);
  CHECK(notQuery.rcode == Rcode::NotImp);
  CHECK(buildAnswer(notQuery.query, notQuery.rcode, false) == header(9, 0xA984, 0, 0, 0, 0));
}

TEST_CASE("dns messages: hostile queries are refused with the reason, never read past their end") {
  auto refusal = [](const std::string& message) {
    Parsed p = parseQuery(message);
    CHECK(p.kind == Parsed::Kind::Error);
    CHECK(p.rcode == Rcode::FormErr);
    return p.why;
  };
  std::string h = header(1, 0, 1, 0, 0, 0);
  // A pointer to itself, and two pointers to each other: loops.
  CHECK(refusal(h + "\xc0\x0c" + kTypeClassA) == "a compression pointer does not point before the name");
  CHECK(refusal(h +
                "\x01"
                "a\xc0\x0c" +
                kTypeClassA) == "a compression pointer does not point before the name");
  CHECK(refusal(h + "\x3f"
                    "abc") == "a label runs past the end of the message");
  CHECK(refusal(h + "\x05"
                    "abcde") == "a name runs past the end of the message");
  CHECK(refusal(h + "\xc0") == "a compression pointer runs past the end of the message");
  CHECK(refusal(h +
                "\x41"
                "a" +
                kTypeClassA) == "a label type other than a plain label");
  CHECK(refusal(h + name({"evil.test", "example"}) + kTypeClassA) == "a label holds a `.`");
  std::string longName;
  for (int i = 0; i < 5; ++i) longName += "\x3f" + std::string(63, 'a');
  CHECK(refusal(h + longName + '\0' + kTypeClassA) == "a name longer than 255 bytes");
  CHECK(refusal(h + name({"a"}) + std::string("\0\1", 2)) == "the question runs past the end of the message");
  CHECK(refusal(h + name({"a"}) + kTypeClassA + "x") == "bytes after the last record");
  CHECK(refusal(header(1, 0, 2, 0, 0, 0) + name({"a"}) + kTypeClassA + name({"b"}) + kTypeClassA) ==
        "not exactly one question");
  CHECK(refusal(header(1, 0, 1, 1, 0, 0) + name({"a"}) + kTypeClassA) ==
        "records other than one OPT record besides the question");
  CHECK(refusal(header(1, 0, 1, 0, 0, 1) + name({"a"}) + kTypeClassA + name({"a"}) + kTypeClassA) ==
        "the additional record is not an OPT record");
  CHECK(refusal(header(1, 0, 1, 0, 0, 1) + name({"a"}) + kTypeClassA + kOpt.substr(0, 9) + std::string("\0\x10", 2)) ==
        "the OPT record runs past the end of the message");

  // A NUL inside a label is read as a byte of the label: the stub's host-name check refuses it.
  Parsed nul = parseQuery(h + name({std::string("evil\0x", 6), "test"}) + kTypeClassA);
  REQUIRE(nul.kind == Parsed::Kind::Question);
  CHECK(nul.query.name() == std::string("evil\0x.test", 11));

  // A pointer back into the header is read as labels there, within the message (byte 5 is 0x01).
  Parsed back = parseQuery(h + "\xc0\x05" + kTypeClassA);
  REQUIRE(back.kind == Parsed::Kind::Question);
  CHECK(back.query.name() == std::string(1, '\0'));

  CHECK(parseQuery("\1\2\3").kind == Parsed::Kind::Drop);
  CHECK(parseQuery(header(1, 0x8000, 1, 0, 0, 0) + name({"a"}) + kTypeClassA).kind == Parsed::Kind::Drop);
}

TEST_CASE("dns messages: an answer keeps to 512 bytes, leaving out the addresses that do not fit") {
  std::string label(63, 'a');
  std::string query = header(3, 0, 1, 0, 0, 0) + name({label, label, label}) + std::string("\0\x1c\0\1", 4);
  Parsed p = parseQuery(query);
  REQUIRE(p.kind == Parsed::Kind::Question);
  std::vector<IpAddress> many(40, *IpAddress::parse("2001:db8::1"));
  std::string answer = buildAnswer(p.query, Rcode::NoError, true, many, 30);
  CHECK(answer.size() <= kMaxAnswerBytes);
  int count = static_cast<unsigned char>(answer[6]) << 8 | static_cast<unsigned char>(answer[7]);
  CHECK(count == static_cast<int>((kMaxAnswerBytes - query.size()) / 28));
}
