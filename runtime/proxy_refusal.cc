// The egress proxy's refusals as the client sees them (proxy_refusal.h).
#include "runtime/proxy_refusal.h"

#include <fmt/format.h>

#include "net/address_classes.h"

namespace sbx::run {

namespace {

// `text` as the inside of an RFC 8941 string: printable ASCII only, `"` and `\` escaped; any
// other byte (a client's host name may hold anything the head allowed) becomes `?`.
std::string structuredString(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += '\\';
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  return out;
}

// A line of the body: printable ASCII, so that nothing a client sent can forge a line of ours.
std::string printableLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  return out;
}

}  // namespace

std::string policyDestination(const std::string& host, std::uint16_t port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}", ipv6 ? "[" : "", host, ipv6 ? "]" : "", port);
}

std::string addressDestination(const net::IpAddress& address, std::uint16_t port) {
  net::IpAddress plain = address.unmapped();
  if (net::inAny(plain, net::neverReachable())) return "";
  return policyDestination(plain.text(), port);
}

std::string addressFix(const net::IpAddress& address, std::uint16_t port) {
  std::string destination = addressDestination(address, port);
  return destination.empty() ? "" : fmt::format("connect \"{}\"", destination);
}

std::string refusalResponse(const Refusal& refusal, const std::string& task, const std::string& tool) {
  std::string body = fmt::format("sbx-run: {}\n", printableLine(refusal.why));
  body += fmt::format("task: {}{}\n", task, tool.empty() ? "" : fmt::format(" (tool {})", tool));
  if (!refusal.destination.empty()) body += fmt::format("destination: {}\n", printableLine(refusal.destination));
  if (refusal.status == 403) {
    body += fmt::format("rule: {}\n", refusal.rule.empty() ? "no rule allows it" : printableLine(refusal.rule));
    if (refusal.fix.empty())
      body +=
          "to allow it: no policy line can; link-local, cloud-metadata and non-unicast addresses are always "
          "refused\n";
    else
      body += fmt::format("to allow it, add to {}: {}\n",
                          tool.empty() ? fmt::format("task {}", task) : fmt::format("tool {} of task {}", tool, task),
                          printableLine(refusal.fix));
  }
  std::string details = refusal.why;
  if (refusal.status == 403)
    details += refusal.fix.empty() ? "; no policy line can allow it" : "; to allow it: " + refusal.fix;
  return fmt::format(
      "HTTP/1.1 {} {}\r\nProxy-Status: sbx-run; error={}; details=\"{}\"\r\nContent-Type: text/plain\r\n"
      "Connection: close\r\nContent-Length: {}\r\n\r\n{}",
      refusal.status, refusal.reason, refusal.proxyError, structuredString(details), body.size(), body);
}

}  // namespace sbx::run
