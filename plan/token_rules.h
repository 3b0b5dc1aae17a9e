// The rules a token's claims follow, shared by the compiler's token plan (backends/token_plan.h)
// and sbx-run, which mints the tokens of injected secrets itself (runtime/injected_tokens.h).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sbx::plan {

// A secret without a TTL gets this one, or the task's timeout when that is shorter.
constexpr std::uint64_t kDefaultTokenTtlMs = 15 * 60 * 1000;

// The token's subject: an OIDC identity's subject, else the identity's value (a SPIFFE ID or an
// issuer), else the task's qualified name.
inline std::string workloadSubject(std::string_view identityKind, std::string_view value, std::string_view subject,
                                   std::string_view qualifiedName) {
  if (identityKind == "oidc" && !subject.empty()) return std::string(subject);
  if (!value.empty()) return std::string(value);
  return "sbx:task/" + std::string(qualifiedName);
}

}  // namespace sbx::plan
