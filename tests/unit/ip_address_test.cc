// The one parser of IP addresses and networks (common/net/ip_address.h) that the front end, the
// classifier, the exporters and sbx-run's proxy share.
#include <doctest/doctest.h>

#include <netinet/in.h>

#include <cstring>

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
