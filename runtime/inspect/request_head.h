// The head of one request on an intercepted connection, read the way sbx-inspect judges it, and
// refused outright where two readers could disagree on what it says (docs/egress.md, "Refused
// outright"): a NUL, a bare CR or LF, a folded header line (obs-fold); Content-Length together
// with Transfer-Encoding, a Content-Length repeated or not a number, a Transfer-Encoding other
// than "chunked"; a Host header, or an absolute-form target, naming another host or port than the
// connection's (the CONNECT target, which the SNI also had to name); CONNECT inside the tunnel; a
// protocol upgrade (Upgrade, HTTP2-Settings), which no action names.
// Parsed by Boost.Beast's HTTP/1 parser, never by hand.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "plan/request_match.h"

namespace sbx::inspect {

constexpr std::size_t kMaxHeadBytes = 16 * 1024;

struct ConnectionTarget {
  std::string scheme, host;  // "https" or "http"; the canonical host of the CONNECT or the proxy request
  std::uint16_t port = 0;
};

struct HeadVerdict {
  int status = 0;  // 0: the head may be judged by the rules; else 400 or 403, and the connection ends
  std::string why;
  RequestFacts facts;
  bool expectContinue = false;
};

// `head`: the request line and headers, through the blank line.
HeadVerdict checkHead(std::string_view head, const ConnectionTarget& target);

}  // namespace sbx::inspect
