// What sbx-inspect decides for one HTTP request: its path normalised the one way the rules read
// it, then matched against the request rules of the actions of the tool that sent it
// (plan::RequestRule). No I/O: the connection code (http_session.h) asks, this answers.
//
// Normalisation (docs/egress.md, "Request inspection"): percent-encoded unreserved bytes
// (RFC 3986 2.3) are decoded, "." and ".." segments resolved, duplicate slashes collapsed. What a
// server could read as a different path is refused instead of guessed at: an encoded slash or
// backslash (%2F, %5C), a literal backslash, a NUL (raw or %00), an invalid or truncated percent
// encoding, and a ".." above the root.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan.h"

namespace sbx::inspect {

struct NormalTarget {
  std::string path;   // begins with "/"; reserved bytes still percent-encoded
  std::string query;  // without the "?"; empty when none
};

// The request target's path and query, normalised; nullopt with `why` when refused.
std::optional<NormalTarget> normaliseTarget(std::string_view target, std::string& why);

// The rule's path pattern against a normalised path: literal segments compare after the same
// decoding, "{name}" is exactly one non-empty segment, a trailing "**" any rest (including none).
bool pathMatches(std::string_view pattern, std::string_view path);

// Every constraint of `query` ("name" or "name=value") holds in the query string.
bool queryMatches(const std::vector<std::string>& constraints, std::string_view query);

struct RequestFacts {
  std::string method, scheme, host;  // host canonical: lower case name or address literal
  std::uint16_t port = 0;
  NormalTarget target;
};

struct Match {
  const plan::Action* action = nullptr;
  const plan::RequestRule* rule = nullptr;
};

// The first action of `tool` (in the plan's order) with a request rule the request matches.
std::optional<Match> matchRequest(const plan::Tool& tool, const RequestFacts& request);

// The policy text of a rule, as the language writes it: request GET "https://h:8443/p" query "q".
std::string ruleText(const plan::RequestRule& rule);
// The rule that would allow exactly this request.
std::string ruleFor(const RequestFacts& request);
// The request's URL, for decisions and refusals.
std::string urlOf(const RequestFacts& request);

}  // namespace sbx::inspect
