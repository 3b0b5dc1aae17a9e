// The address spellings refused by the compiler and the proxy alike (address_spelling.h).
#include "net/address_spelling.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace sbx::net {

std::optional<IpAddress> parseAsLibc(std::string_view text) {
  if (text.empty() || text.size() > 64 || text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string s(text);
  in_addr in{};
  if (inet_aton(s.c_str(), &in) == 0) return std::nullopt;
  IpAddress a;
  a.family = 4;
  std::memcpy(a.bytes.data(), &in, 4);
  return a;
}

bool isIpv4Compatible(const IpAddress& address) {
  if (address.family != 6) return false;
  if (std::any_of(address.bytes.begin(), address.bytes.begin() + 12, [](std::uint8_t b) { return b != 0; }))
    return false;
  std::uint32_t low = 0;
  for (std::size_t i = 12; i < 16; ++i) low = (low << 8) | address.bytes[i];
  return low > 1;  // :: and ::1 are the unspecified and loopback addresses
}

std::optional<AddressRefusal> refusedAddressSpelling(std::string_view text) {
  if (auto percent = text.find('%'); percent != std::string_view::npos) {
    auto address = IpAddress::parse(text.substr(0, percent));
    if (address && address->family == 6)
      return AddressRefusal{
          fmt::format("has a zone id (`{}`), which names an interface, not an address", text.substr(percent)),
          "link-local addresses (fe80::/10) are never reachable from the sandbox; name a "
          "global or private address"};
  }
  if (auto address = IpAddress::parse(text); address && isIpv4Compatible(*address)) {
    IpAddress v4;
    v4.family = 4;
    std::copy(address->bytes.begin() + 12, address->bytes.end(), v4.bytes.begin());
    return AddressRefusal{"is an IPv4-compatible IPv6 address (deprecated by RFC 4291)",
                          fmt::format("write the IPv4 address \"{}\", or the IPv6 address meant", v4.text())};
  }
  if (auto read = parseAsLibc(text); read && read->text() != text)
    return AddressRefusal{
        fmt::format("is read as the IPv4 address {} by the C library (a decimal, octal, hex or short form)",
                    read->text()),
        fmt::format("write the address meant as four decimal numbers 0-255 without leading zeros, e.g. \"{}\"",
                    read->text())};
  return std::nullopt;
}

}  // namespace sbx::net
