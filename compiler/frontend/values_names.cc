// Checks the form of names and identifiers written as literal values: SPIFFE IDs, OIDC issuers,
// environment variable names, capabilities and secret scopes. Like the rest of values.h, each
// check reports its own diagnostic, so the builder only decides what to keep.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "frontend/values.h"

namespace sbx::frontend {
namespace {

// The names of linux/capability.h.
const std::vector<std::string>& capabilityNames() {
  static const std::vector<std::string> names = {"CAP_CHOWN",
                                                 "CAP_DAC_OVERRIDE",
                                                 "CAP_DAC_READ_SEARCH",
                                                 "CAP_FOWNER",
                                                 "CAP_FSETID",
                                                 "CAP_KILL",
                                                 "CAP_SETGID",
                                                 "CAP_SETUID",
                                                 "CAP_SETPCAP",
                                                 "CAP_LINUX_IMMUTABLE",
                                                 "CAP_NET_BIND_SERVICE",
                                                 "CAP_NET_BROADCAST",
                                                 "CAP_NET_ADMIN",
                                                 "CAP_NET_RAW",
                                                 "CAP_IPC_LOCK",
                                                 "CAP_IPC_OWNER",
                                                 "CAP_SYS_MODULE",
                                                 "CAP_SYS_RAWIO",
                                                 "CAP_SYS_CHROOT",
                                                 "CAP_SYS_PTRACE",
                                                 "CAP_SYS_PACCT",
                                                 "CAP_SYS_ADMIN",
                                                 "CAP_SYS_BOOT",
                                                 "CAP_SYS_NICE",
                                                 "CAP_SYS_RESOURCE",
                                                 "CAP_SYS_TIME",
                                                 "CAP_SYS_TTY_CONFIG",
                                                 "CAP_MKNOD",
                                                 "CAP_LEASE",
                                                 "CAP_AUDIT_WRITE",
                                                 "CAP_AUDIT_CONTROL",
                                                 "CAP_SETFCAP",
                                                 "CAP_MAC_OVERRIDE",
                                                 "CAP_MAC_ADMIN",
                                                 "CAP_SYSLOG",
                                                 "CAP_WAKE_ALARM",
                                                 "CAP_BLOCK_SUSPEND",
                                                 "CAP_AUDIT_READ",
                                                 "CAP_PERFMON",
                                                 "CAP_BPF",
                                                 "CAP_CHECKPOINT_RESTORE"};
  return names;
}

bool validSpiffeId(std::string_view id) {
  constexpr std::string_view scheme = "spiffe://";
  if (!id.starts_with(scheme)) return false;
  std::string_view rest = id.substr(scheme.size());
  std::size_t slash = rest.find('/');
  std::string_view domain = rest.substr(0, slash);
  if (domain.empty() || domain.size() > 255) return false;
  for (char c : domain)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
          c == '-' || c == '_'))
      return false;
  if (slash == std::string_view::npos) return false;
  std::string_view path = rest.substr(slash);
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i + 1);
    if (j == std::string_view::npos) j = path.size();
    std::string_view segment = path.substr(i + 1, j - i - 1);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (char c : segment)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) return false;
    i = j;
  }
  return true;
}

bool validEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
}

}  // namespace

bool checkSpiffeId(std::string_view id, Span span, DiagnosticSink& diags) {
  if (validSpiffeId(id)) return true;
  diags.report(Code::InvalidIdentity, span, fmt::format("`{}` is not a SPIFFE ID", id))
      .help("write spiffe://TRUST-DOMAIN/PATH, e.g. \"spiffe://acme.example/agents/triage\"")
      .note(
          "the trust domain is lower-case letters, digits, `.`, `-` and `_`; the path is not empty and has no "
          "`.`/`..` segments");
  return false;
}

bool checkOidcIssuer(std::string_view issuer, Span span, DiagnosticSink& diags) {
  if (issuer.starts_with("https://") && issuer.size() > 8) return true;
  diags.report(Code::InvalidIdentity, span, fmt::format("OIDC issuer `{}` is not an https URL", issuer))
      .help(
          "write the issuer URL, e.g. identity oidc \"https://token.actions.example\" subject "
          "\"repo:acme/app\"");
  return false;
}

bool checkEnvName(std::string_view name, Span span, DiagnosticSink& diags) {
  if (validEnvName(name)) return true;
  diags.report(Code::InvalidName, span, fmt::format("`{}` is not an environment variable name", name))
      .help("use letters, digits and `_`, not starting with a digit");
  return false;
}

std::optional<std::string> checkCapability(std::string_view written, Span span, DiagnosticSink& diags) {
  std::string name(written);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (!name.starts_with("CAP_")) name = "CAP_" + name;
  const auto& names = capabilityNames();
  if (std::find(names.begin(), names.end(), name) != names.end()) return name;
  auto& d = diags.report(Code::InvalidName, span, fmt::format("unknown capability `{}`", written));
  if (auto m = closestMatch(name, names)) d.help(fmt::format("did you mean `{}`?", *m));
  return std::nullopt;
}

bool checkScope(std::string_view scope, Span span, DiagnosticSink& diags) {
  if (!scope.empty() && scope.find_first_of(" \t\n\"\\") == std::string_view::npos) return true;
  diags
      .report(Code::InvalidName, span,
              scope.empty() ? std::string("a scope is empty") : fmt::format("`{}` is not a scope", scope))
      .help("scopes are non-empty and have no spaces, quotes or backslashes, e.g. \"tickets:read\"");
  return false;
}

}  // namespace sbx::frontend
