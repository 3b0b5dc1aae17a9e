// Spellings of an address that the compiler and sbx-run's proxy both refuse, by one function, so
// that a destination refused in a policy is refused in a request too. Each is refused rather than
// read because some reader takes it for another address than the rules would:
//   * IPv4 in a form other than the canonical dotted quad that the C library's inet_aton (and so
//     getaddrinfo, curl, ping...) reads: decimal `2852039166`, octal `0251.0376.0251.0376`,
//     hex `0xa9fea9fe`, short forms `169.254.43518`, `127.1`, leading zeros `010.0.0.1`;
//   * IPv4-compatible IPv6 `::169.254.169.254` (deprecated by RFC 4291; a sit tunnel carries it
//     to the IPv4 host), other than `::` and `::1`;
//   * an IPv6 zone id `fe80::1%eth0` (it names an interface; link-local is never reachable).
// IPv4-mapped IPv6 (`::ffff:169.254.169.254`, `::ffff:a9fe:a9fe`) is not refused: it is the
// IPv4 address it maps, and every stage judges it as that (IpAddress::unmapped).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "net/ip_address.h"

namespace sbx::net {

// The IPv4 address inet_aton reads from `text` (any of its forms), if it reads one.
std::optional<IpAddress> parseAsLibc(std::string_view text);

// Whether `address` is an IPv4-compatible IPv6 address (::a.b.c.d, not :: or ::1).
bool isIpv4Compatible(const IpAddress& address);

// Why the host part `text` (no brackets, no port) is refused: `why` completes "`text` " (e.g.
// "is read as the IPv4 address 169.254.169.254 by the C library (...)"), `fix` says what to
// write instead. nullopt when `text` is not one of the spellings above.
struct AddressRefusal {
  std::string why;
  std::string fix;
};
std::optional<AddressRefusal> refusedAddressSpelling(std::string_view text);

}  // namespace sbx::net
