// The one parser of IP addresses and networks (common/net/ip_address.h) that the front end, the
// classifier, the exporters and sbx-run's proxy share.
#include <doctest/doctest.h>

#include <netinet/in.h>

#include <cstring>

#include "net/address_spelling.h"
#include "net/ip_address.h"

using sbx::net::IpAddress;
using sbx::net::Network;

TEST_CASE("ip address: IPv4 and IPv6 text in, canonical text out") {
  CHECK(IpAddress::parse("10.1.2.3")->text() == "10.1.2.3");
  CHECK(IpAddress::parse("10.1.2.3")->family == 4);
  CHECK(IpAddress::parse("FD00:EC2:0::254")->text() == "fd00:ec2::254");
  CHECK(IpAddress::parse("::1")->family == 6);
}

TEST_CASE("ip address: refuses what some reader would take for another address") {
  CHECK_FALSE(IpAddress::parse("010.0.0.1"));  // octal to some resolvers
  CHECK_FALSE(IpAddress::parse("10.0.0.01"));
  CHECK_FALSE(IpAddress::parse("10.1"));  // inet_aton's short forms
  CHECK_FALSE(IpAddress::parse("0x7f.0.0.1"));
  CHECK_FALSE(IpAddress::parse(std::string_view("127.0.0.1\0.evil", 15)));  // cut short by a NUL
  CHECK_FALSE(IpAddress::parse("[::1]"));                                   // brackets belong to URIs: withoutBrackets
  CHECK_FALSE(IpAddress::parse("fe80::1%eth0"));
  CHECK_FALSE(IpAddress::parse(""));
  CHECK(IpAddress::parse(sbx::net::withoutBrackets("[::1]"))->text() == "::1");
}

TEST_CASE("ip address: an IPv4-mapped IPv6 address is the IPv4 address it maps") {
  auto mapped = IpAddress::parse("::ffff:169.254.169.254");
  REQUIRE(mapped);
  CHECK(mapped->family == 6);
  CHECK(mapped->unmapped() == *IpAddress::parse("169.254.169.254"));
  CHECK(IpAddress::parse("::1")->unmapped() == *IpAddress::parse("::1"));
}

TEST_CASE("ip address: from a socket address") {
  sockaddr_in6 six{};
  six.sin6_family = AF_INET6;
  std::memcpy(&six.sin6_addr, IpAddress::parse("2001:db8::7")->bytes.data(), 16);
  CHECK(IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&six))->text() == "2001:db8::7");
  sockaddr_in four{};
  four.sin_family = AF_INET;
  four.sin_addr.s_addr = htonl(0x7f000001);
  CHECK(IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&four))->text() == "127.0.0.1");
  sockaddr other{};
  other.sa_family = AF_UNIX;
  CHECK_FALSE(IpAddress::fromSockaddr(&other));
}

TEST_CASE("ip network: host bits cleared, containment by prefix") {
  auto net = Network::parse("10.1.2.3", 8);
  REQUIRE(net);
  CHECK(net->text() == "10.0.0.0/8");
  CHECK(*net == *Network::parse("10.0.0.0", 8));
  CHECK(net->contains(*IpAddress::parse("10.255.0.1")));
  CHECK_FALSE(net->contains(*IpAddress::parse("11.0.0.1")));
  CHECK_FALSE(net->contains(*IpAddress::parse("::ffff:10.0.0.1")));  // another family
  CHECK(net->contains(*Network::parse("10.9.0.0", 16)));
  CHECK_FALSE(Network::parse("10.9.0.0", 16)->contains(*net));
  CHECK(Network::parse("::", 0)->contains(*IpAddress::parse("fe80::1")));
  CHECK_FALSE(Network::parse("10.0.0.0", 33));
  CHECK_FALSE(Network::parse("::", 129));
  CHECK_FALSE(Network::parse("10.0.0.0", -1));
}

TEST_CASE("ip network: an IPv4-mapped network is the IPv4 network it maps") {
  CHECK(Network::parse("::ffff:169.254.169.254", 128)->unmapped() == *Network::parse("169.254.169.254", 32));
  CHECK(Network::parse("::ffff:10.0.0.0", 104)->unmapped() == *Network::parse("10.0.0.0", 8));
  CHECK(Network::parse("::ffff:0:0", 96)->unmapped() == *Network::parse("0.0.0.0", 0));
  CHECK(Network::parse("::", 0)->unmapped() == *Network::parse("::", 0));  // wider than the mapped range
  CHECK(Network::parse("fe80::", 10)->unmapped() == *Network::parse("fe80::", 10));
}

// Every spelling of an address that the kernel or the C library accepts: parsed to the address it
// is (canonical IPv4 and IPv6, IPv4-mapped IPv6 as the IPv4 address) or refused with the reason
// the compiler and the proxy both give (net/address_spelling.h).
TEST_CASE("address spellings: each is the right address or refused, for the compiler and the proxy alike") {
  using sbx::net::isIpv4Compatible;
  using sbx::net::parseAsLibc;
  using sbx::net::refusedAddressSpelling;
  auto metadata = *IpAddress::parse("169.254.169.254");
  struct Refused {
    const char* text;
    const char* why;
  };
  for (auto [text, why] : std::initializer_list<Refused>{
           {"2852039166", "is read as the IPv4 address 169.254.169.254 by the C library"},
           {"0251.0376.0251.0376", "is read as the IPv4 address 169.254.169.254 by the C library"},
           {"0xa9fea9fe", "is read as the IPv4 address 169.254.169.254 by the C library"},
           {"0XA9FEA9FE", "is read as the IPv4 address 169.254.169.254 by the C library"},
           {"0xa9.0xfe.0xa9.0xfe", "is read as the IPv4 address 169.254.169.254 by the C library"},
           {"169.254.43518", "is read as the IPv4 address 169.254.169.254 by the C library"},
           {"169.16689662", "is read as the IPv4 address 169.254.169.254 by the C library"},
           {"127.1", "is read as the IPv4 address 127.0.0.1 by the C library"},
           {"010.0.0.1", "is read as the IPv4 address 8.0.0.1 by the C library"},
           {"::169.254.169.254", "is an IPv4-compatible IPv6 address"},
           {"::a9fe:a9fe", "is an IPv4-compatible IPv6 address"},
           {"fe80::1%eth0", "has a zone id (`%eth0`)"},
           {"fe80::1%25eth0", "has a zone id (`%25eth0`)"},
       }) {
    CAPTURE(text);
    auto refused = refusedAddressSpelling(text);
    REQUIRE(refused);
    CHECK(refused->why.starts_with(why));
    CHECK_FALSE(refused->fix.empty());
    // Nothing downstream reads the IPv4 forms or a zone either; a compatible address is IPv6 text,
    // which is why the compiler and the proxy ask refusedAddressSpelling first.
    if (!isIpv4Compatible(IpAddress::parse(text).value_or(IpAddress{}))) CHECK_FALSE(IpAddress::parse(text));
  }
  CHECK(*parseAsLibc("2852039166") == metadata);
  CHECK(*parseAsLibc("0251.0376.0251.0376") == metadata);
  CHECK(isIpv4Compatible(*IpAddress::parse("::169.254.169.254")));
  // Accepted: canonical forms, and IPv4-mapped IPv6 in both notations, which is the IPv4 address.
  for (const char* text :
       {"169.254.169.254", "::1", "::", "fe80::1", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "FD00:EC2::254"}) {
    CAPTURE(text);
    CHECK_FALSE(refusedAddressSpelling(text));
    CHECK(IpAddress::parse(text));
  }
  CHECK(IpAddress::parse("::ffff:a9fe:a9fe")->unmapped() == metadata);
  CHECK(IpAddress::parse("::FFFF:169.254.169.254")->unmapped() == metadata);
  CHECK_FALSE(isIpv4Compatible(*IpAddress::parse("::1")));
  CHECK_FALSE(isIpv4Compatible(*IpAddress::parse("::")));
  CHECK(Network::parse("::ffff:169.254.0.0", 112)->unmapped().text() == "169.254.0.0/16");
}
