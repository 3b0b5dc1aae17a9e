// DNS messages as sbx-run's DNS stub (dns_stub.h) reads and writes them (RFC 1035 4.1, RFC 6891's
// OPT record). Every query comes from the sandbox and is hostile: it is read within its bytes,
// once, with bounds on everything. A name's compression pointer must point strictly backwards (so
// no pointer loop can exist), a name is at most 255 bytes and 127 labels, label types other than
// plain labels are refused, and a label may not hold a `.` (two names would read the same
// once joined). What the labels may hold beyond that is the host-name check's to say
// (common/net/host_name.h), on the joined name, as the proxy does.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_address.h"

namespace sbx::run::dns {

// The stub answers in at most this many bytes (UDP without EDNS; over TCP too): addresses that
// would not fit are left out, never truncated (no TC bit, so no client retries over TCP for more).
constexpr std::size_t kMaxAnswerBytes = 512;
constexpr std::uint16_t kTypeA = 1, kTypeAaaa = 28, kTypeOpt = 41, kClassIn = 1;

enum class Rcode : std::uint8_t { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 };

struct Query {
  std::uint16_t id = 0;
  std::uint8_t opcode = 0;
  bool recursionDesired = false;
  bool edns = false;                // the query had an OPT record: the answer has one too
  std::vector<std::string> labels;  // the question's name as sent (case kept: clients compare it)
  std::uint16_t type = 0, klass = 0;
  std::string name() const;  // the labels joined with dots
};

struct Parsed {
  enum class Kind {
    Drop,      // not a query anyone should be answered for (too short, or a response)
    Error,     // answered with `rcode`, without the question
    Question,  // one question, read whole
  };
  Kind kind = Kind::Drop;
  Query query;  // id, opcode and RD for Error and Question; the rest for Question
  Rcode rcode = Rcode::NoError;
  std::string why;  // Drop and Error: what was wrong, for the audit log
};

// Reads `message` (a UDP datagram, or a TCP message without its length prefix).
Parsed parseQuery(std::string_view message);

// The answer to `query` with `rcode`; its question echoed when `withQuestion`, then one record per
// address of `addresses` (A for IPv4, AAAA for IPv6, with `ttl`) while they fit in
// kMaxAnswerBytes.
std::string buildAnswer(const Query& query, Rcode rcode, bool withQuestion,
                        std::span<const net::IpAddress> addresses = {}, std::uint32_t ttl = 0);

}  // namespace sbx::run::dns
