// Names of the host's users and groups, for the approval gate (approval_gate.h): from /etc/passwd
// and /etc/group only. sbx-run is linked statically, so it loads no NSS module (LDAP, SSSD): a
// group that exists only there is unknown here, and nobody can approve for it (refused, named).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

namespace sbx::run {

std::optional<gid_t> groupIdOf(const std::string& group);
// The user's name, or "uid N" when /etc/passwd does not name it.
std::string userNameOf(uid_t uid);

}  // namespace sbx::run
