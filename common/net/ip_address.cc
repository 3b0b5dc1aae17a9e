#include "net/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

namespace sbx::net {

namespace {

bool hasLeadingZero(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i)
    if (text[i] == '0' && (i == 0 || text[i - 1] == '.') && std::isdigit(static_cast<unsigned char>(text[i + 1])))
      return true;
  return false;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton reads a C string: a NUL inside the text would cut it short.
  if (text.empty() || text.size() > 64 || text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    if (hasLeadingZero(text)) return std::nullopt;
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  a.family = 6;
  return a;
}

std::optional<IpAddress> IpAddress::fromSockaddr(const sockaddr* address) {
  IpAddress a;
  if (address->sa_family == AF_INET) {
    a.family = 4;
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
    return a;
  }
  if (address->sa_family != AF_INET6) return std::nullopt;
  a.family = 6;
  std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  return a;
}

std::string IpAddress::text() const {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), out, sizeof out);
  return out;
}

IpAddress IpAddress::unmapped() const {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family != 6 || std::memcmp(bytes.data(), kMapped, sizeof kMapped) != 0) return *this;
  IpAddress v4;
  v4.family = 4;
  std::copy(bytes.begin() + 12, bytes.end(), v4.bytes.begin());
  return v4;
}

std::string_view withoutBrackets(std::string_view text) {
  return text.size() > 2 && text.front() == '[' && text.back() == ']' ? text.substr(1, text.size() - 2) : text;
}

std::optional<Network> Network::parse(std::string_view address, int prefix) {
  auto parsed = IpAddress::parse(address);
  if (!parsed || prefix < 0 || prefix > parsed->bits()) return std::nullopt;
  Network n{parsed->family, parsed->bytes, prefix};
  for (int bit = prefix; bit < parsed->bits(); ++bit)
    n.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  return n;
}

std::string Network::text() const {
  return fmt::format("{}/{}", address().text(), prefix);
}

bool Network::contains(const IpAddress& candidate) const {
  if (candidate.family != family) return false;
  IpAddress mine = address();
  for (int bit = 0; bit < prefix; ++bit)
    if (mine.bit(bit) != candidate.bit(bit)) return false;
  return true;
}

bool Network::contains(const Network& inner) const {
  return inner.prefix >= prefix && contains(inner.address());
}

Network Network::unmapped() const {
  IpAddress plain = address().unmapped();
  if (plain.family != 4 || prefix < 96) return *this;
  return Network{4, plain.bytes, prefix - 96};
}

}  // namespace sbx::net
