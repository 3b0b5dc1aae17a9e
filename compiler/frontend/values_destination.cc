// Checks and normalizes egress destinations ("host:port", "*.suffix:port", "10.0.0.0/8:5432",
// "[2001:db8::1]:443"): one diagnostic per bad destination, and a canonical text for the good
// ones so that equal destinations compare equal whatever way they were written.
#include <charconv>

#include <fmt/format.h>

#include "frontend/values.h"
#include "net/address_spelling.h"
#include "net/host_name.h"
#include "net/ip_address.h"

namespace sbx::frontend {
namespace {

bool looksNumeric(std::string_view host) {
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

bool parsePort(std::string_view text, std::uint16_t& value) {
  unsigned v = 0;
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > 65535) return false;
  value = static_cast<std::uint16_t>(v);
  return true;
}

// The canonical "host:port" text of a parsed destination.
std::string canonicalText(const model::Destination& dest) {
  std::string hostText;
  switch (dest.kind) {
    case model::Destination::Kind::Host:
      hostText = dest.host;
      break;
    case model::Destination::Kind::Wildcard:
      hostText = "*." + dest.host;
      break;
    case model::Destination::Kind::Any:
      hostText = "*";
      break;
    case model::Destination::Kind::Ip:
      hostText = dest.family == 4 ? dest.address : "[" + dest.address + "]";
      break;
    case model::Destination::Kind::Cidr:
      hostText = dest.family == 4 ? fmt::format("{}/{}", dest.address, dest.prefix)
                                  : fmt::format("[{}/{}]", dest.address, dest.prefix);
      break;
  }
  std::string portText = dest.portLow == 0 && dest.portHigh == 65535 ? "*"
                         : dest.portLow == dest.portHigh             ? std::to_string(dest.portLow)
                                                         : fmt::format("{}-{}", dest.portLow, dest.portHigh);
  return hostText + ":" + portText;
}

// One destination's parse; each step reports the first problem it finds and returns false.
class DestinationParser {
 public:
  DestinationParser(std::string_view text, Span span, DiagnosticSink& diags)
      : text_(text), span_(span), diags_(diags) {}

  std::optional<model::Destination> parse() {
    if (auto scheme = text_.find("://"); scheme != std::string_view::npos)
      return failed(fmt::format("destination `{}` has a URL scheme", text_),
                    "write host and port only, e.g. \"api.example.com:443\"");
    if (!splitHostPort()) return std::nullopt;
    if (auto slash = portPart_.find('/'); slash != std::string_view::npos)
      return failed(fmt::format("destination `{}` has a path after the port", text_),
                    "egress is allowed per host and port, not per URL path");
    if (!parsePorts() || !parseHost()) return std::nullopt;
    dest_.text = canonicalText(dest_);
    return dest_;
  }

 private:
  bool fail(std::string message, std::string help) {
    auto& d = diags_.report(Code::InvalidDestination, span_, std::move(message));
    if (!help.empty()) d.help(std::move(help));
    return false;
  }
  std::optional<model::Destination> failed(std::string message, std::string help) {
    fail(std::move(message), std::move(help));
    return std::nullopt;
  }

  bool splitHostPort() {
    std::string_view text = text_;
    if (!text.empty() && text[0] == '[') {
      std::size_t close = text.find(']');
      if (close == std::string_view::npos) return fail(fmt::format("destination `{}` has no closing `]`", text), "");
      hostPart_ = text.substr(1, close - 1);
      std::string_view rest = text.substr(close + 1);
      if (rest.empty())
        return fail(fmt::format("destination `{}` has no port", text), fmt::format("add one, e.g. \"{}:443\"", text));
      if (rest[0] != ':')
        return fail(fmt::format("expected `:` after `]` in `{}`", text),
                    fmt::format("write \"{}:{}\"", text.substr(0, close + 1), rest));
      portPart_ = rest.substr(1);
      return true;
    }
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return fail(fmt::format("destination `{}` has no port", text), fmt::format("add one, e.g. \"{}:443\"", text));
    hostPart_ = text.substr(0, colon);
    portPart_ = text.substr(colon + 1);
    if (hostPart_.find(':') != std::string_view::npos)
      return fail(fmt::format("IPv6 destination `{}` must put the address in brackets", text),
                  "write it as \"[2001:db8::1]:443\"");
    return true;
  }

  bool parsePorts() {
    std::string_view portPart = portPart_;
    if (portPart == "*") {
      dest_.portLow = 0;
      dest_.portHigh = 65535;
    } else if (auto dash = portPart.find('-'); dash != std::string_view::npos) {
      if (!parsePort(portPart.substr(0, dash), dest_.portLow) ||
          !parsePort(portPart.substr(dash + 1), dest_.portHigh) || dest_.portLow > dest_.portHigh || dest_.portLow == 0)
        return fail(fmt::format("`{}` is not a port range", portPart), "write LOW-HIGH with 1 <= LOW <= HIGH <= 65535");
    } else {
      if (!parsePort(portPart, dest_.portLow) || dest_.portLow == 0)
        return fail(portPart.empty() ? fmt::format("destination `{}` has an empty port", text_)
                                     : fmt::format("`{}` is not a port", portPart),
                    "ports are 1-65535, a range LOW-HIGH, or *");
      dest_.portHigh = dest_.portLow;
    }
    return true;
  }

  bool parseHost() {
    std::string host(hostPart_);
    std::string_view prefixText;
    if (auto slash = host.find('/'); slash != std::string::npos) {
      prefixText = hostPart_.substr(slash + 1);
      host.resize(slash);
    }
    bool hasPrefix = !prefixText.empty() || hostPart_.find('/') != std::string_view::npos;
    // Decimal, octal, hex and short IPv4, IPv4-compatible IPv6 and zone ids: refused here and by
    // the proxy alike (net/address_spelling.h).
    if (auto refused = net::refusedAddressSpelling(host))
      return fail(fmt::format("`{}` {}", printableHostText(host), refused->why), refused->fix);
    // IPv4 without leading zeros (which some resolvers read as octal), or IPv6: net/ip_address.h.
    if (auto address = net::IpAddress::parse(host)) return parseAddress(host, *address, prefixText, hasPrefix);
    if (hasPrefix)
      return fail(fmt::format("`{}` is not an IP network", hostPart_), "write a CIDR such as \"10.0.0.0/8:5432\"");
    if (looksNumeric(host))
      return fail(fmt::format("`{}` is not a valid IPv4 address", host),
                  "write four decimal numbers 0-255 without leading zeros, e.g. 10.0.0.1");
    if (host == "*") {
      dest_.kind = model::Destination::Kind::Any;
      return true;
    }
    return parseHostName(host);
  }

  bool parseAddress(const std::string& host, const net::IpAddress& address, std::string_view prefixText,
                    bool hasPrefix) {
    bool v4 = address.family == 4;
    dest_.family = address.family;
    dest_.prefix = address.bits();
    dest_.kind = model::Destination::Kind::Ip;
    if (hasPrefix && !parseNetwork(address, prefixText)) return false;
    dest_.address = address.text();
    if (v4 && host != dest_.address) return fail(fmt::format("`{}` is not a canonical IPv4 address", host), "");
    if (!v4) unmapToIpv4();
    return true;
  }

  // An IPv4-mapped address or network (::ffff:169.254.169.254, [::ffff:a9fe:0/112]) reaches the
  // IPv4 host: the model holds it as that IPv4 address, so that every stage (the metadata and
  // private-range findings, the exporters' ipBlocks, the proxy's rules) judges the host it reaches.
  void unmapToIpv4() {
    auto network = net::Network::parse(dest_.address, dest_.prefix);
    if (!network || network->unmapped().family != 4) return;
    net::Network v4 = network->unmapped();
    dest_.family = 4;
    dest_.prefix = v4.prefix;
    dest_.address = v4.address().text();
  }

  // A CIDR's prefix length, and no host bits set below it.
  bool parseNetwork(const net::IpAddress& address, std::string_view prefixText) {
    int maxPrefix = address.bits();
    bool v4 = address.family == 4;
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(prefixText.data(), prefixText.data() + prefixText.size(), p);
    if (prefixText.empty() || ec != std::errc() || ptr != prefixText.data() + prefixText.size() ||
        p > static_cast<unsigned>(maxPrefix))
      return fail(fmt::format("`/{}` is not a prefix length for IPv{}", prefixText, dest_.family),
                  fmt::format("prefix lengths are 0-{}", maxPrefix));
    dest_.prefix = static_cast<int>(p);
    dest_.kind = model::Destination::Kind::Cidr;
    auto network = net::Network::parse(address.text(), dest_.prefix);
    if (network->address() == address) return true;
    std::string fixed = network->text();
    std::string port(portPart_);
    return fail(fmt::format("CIDR `{}` has host bits set", hostPart_),
                fmt::format("write the network address: \"{}\"", v4 ? fixed + ":" + port : "[" + fixed + "]:" + port));
  }

  bool parseHostName(const std::string& host) {
    bool wildcard = host.starts_with("*.");
    std::string_view named = std::string_view(host).substr(wildcard ? 2 : 0);
    if (named.find('*') != std::string_view::npos)
      return fail(fmt::format("`{}` has a `*` that is not a whole leftmost label", printableHostText(host)),
                  "a wildcard covers subdomains: \"*.example.com:443\"");
    // The proxy checks a request's host with the same function (net/host_name.h).
    std::string why;
    auto name = canonicalHostName(named, why);
    if (!name) return fail(fmt::format("host name `{}` {}", printableHostText(host), why), "");
    dest_.kind = wildcard ? model::Destination::Kind::Wildcard : model::Destination::Kind::Host;
    dest_.host = *name;
    return true;
  }

  std::string_view text_;
  Span span_;
  DiagnosticSink& diags_;
  std::string_view hostPart_, portPart_;
  model::Destination dest_;
};

}  // namespace

std::optional<model::Destination> parseDestination(std::string_view text, Span span, DiagnosticSink& diags) {
  return DestinationParser(text, span, diags).parse();
}

}  // namespace sbx::frontend
