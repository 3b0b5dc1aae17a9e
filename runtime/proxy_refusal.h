// What the egress proxy answers a client it refuses, so that the program (and the person reading
// its error) learns why without the audit log: the status, a Proxy-Status header (RFC 9209: the
// proxy's name, an error type, details), and a plain-text body that names the task, the
// destination, the rule that decided and the line of policy that would allow the connection.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "net/ip_address.h"

namespace sbx::run {

struct Refusal {
  Refusal(int code, const char* phrase, const char* errorType, std::string text, std::string target = "",
          std::string decidingRule = "", std::string allowingLine = "")
      : status(code),
        reason(phrase),
        proxyError(errorType),
        why(std::move(text)),
        destination(std::move(target)),
        rule(std::move(decidingRule)),
        fix(std::move(allowingLine)) {}
  int status;
  const char* reason;
  const char* proxyError;   // an RFC 9209 error type
  std::string why;          // one line; also the audit line's reason
  std::string destination;  // host:port as requested; empty: none named
  std::string rule;         // the policy line that decided (matched the name); empty: no rule allows it
  std::string fix;          // the policy line that would allow it; empty: none can (a 403), or not asked
};

// A destination as a policy's `connect` names it: "host:port", an IPv6 address in brackets.
std::string policyDestination(const std::string& host, std::uint16_t port);

// The line that would allow a connection to `address`:`port`, which a host rule matched by name
// but the address is refused: an address rule, or empty when no rule can allow the address.
std::string addressFix(const net::IpAddress& address, std::uint16_t port);
// The destination of that line ("127.0.0.1:8080"), or empty.
std::string addressDestination(const net::IpAddress& address, std::uint16_t port);

// The whole HTTP response (head and body, `Connection: close`) for `refusal` of a client of
// `task`; `tool` is the client's tool, empty when it is none.
std::string refusalResponse(const Refusal& refusal, const std::string& task, const std::string& tool);

}  // namespace sbx::run
