// The broker's state directory and its revocation list: no cryptography here, so that sbx-run,
// which revokes every token of a run when the task ends, links none (signing and checking are in
// token.h and key_store.h, linked by sbxc).
//
//   $SBX_STATE_DIR, else /var/lib/sbx-run for root, else $XDG_STATE_HOME/sbx-run, else
//   ~/.local/state/sbx-run
//
//   revoked.jsonl   one line per revoked run: {"jti", "revokedAt", "task", "secrets"}
#pragma once
#include <string>
#include <vector>

namespace sbx::tokens {

std::string defaultStateDir();

// Appends a revocation record for run `jti` to DIR/revoked.jsonl; true when it is on disk.
bool revokeRun(const std::string& stateDir, const std::string& jti, const std::string& task,
               const std::vector<std::string>& secrets, std::string& error);
bool isRevoked(const std::string& stateDir, const std::string& jti);

}  // namespace sbx::tokens
