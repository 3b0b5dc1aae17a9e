// IP addresses and networks, the one parser and printer of them: the front end's IP and CIDR
// destinations, the classifier's address facts, the exporters' allowlists and sbx-run's proxy
// all read addresses here, so that they agree on what an address is.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbx::net {

struct IpAddress {
  int family = 0;  // 4 or 6
  std::array<std::uint8_t, 16> bytes{};

  // Dotted-quad IPv4 (no leading zeros, which some resolvers read as octal) or IPv6 text, as
  // inet_pton reads it; no brackets, no zone.
  static std::optional<IpAddress> parse(std::string_view text);
  // The address of an AF_INET or AF_INET6 socket address; nullopt for another family.
  static std::optional<IpAddress> fromSockaddr(const sockaddr* address);

  std::string text() const;
  int bits() const { return family == 4 ? 32 : 128; }
  bool bit(int index) const { return (bytes[static_cast<std::size_t>(index / 8)] >> (7 - index % 8)) & 1; }
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is; others unchanged.
  IpAddress unmapped() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// `text` without the brackets of an IPv6 literal in a URI authority ("[::1]" -> "::1").
std::string_view withoutBrackets(std::string_view text);

struct Network {
  int family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 0;

  // `address`/`prefix` with the host bits cleared; nullopt for a bad address or prefix.
  static std::optional<Network> parse(std::string_view address, int prefix);
  std::string text() const;  // "10.0.0.0/8", "fd00:ec2::254/128"
  IpAddress address() const { return IpAddress{family, bytes}; }
  bool contains(const IpAddress& address) const;
  bool contains(const Network& inner) const;  // `inner` lies wholly inside this network
  // A network inside ::ffff:0:0/96 (IPv4-mapped addresses) as the IPv4 network it maps; others
  // unchanged. A connection to a mapped address reaches the IPv4 host, so it is judged as that.
  Network unmapped() const;
  friend bool operator==(const Network&, const Network&) = default;
};

}  // namespace sbx::net
