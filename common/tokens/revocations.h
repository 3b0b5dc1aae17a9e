// The broker's state directory, its revocation list and the runs' locks: no cryptography here, so
// that sbx-run, which revokes every token of a run when the task ends, links none (signing and
// checking are in token.h and key_store.h, linked by sbxc).
//
//   $SBX_STATE_DIR, else /var/lib/sbx-run for root, else $XDG_STATE_HOME/sbx-run, else
//   ~/.local/state/sbx-run; never a guessable path in /tmp. The directory is used only when it is
//   the running user's and no one else can write to it or to a directory above it
//   (private_directory.h).
//
//   revoked.jsonl     one line per revoked run: {"jti", "revokedAt", "task", "secrets"}
//   run-<jti>.lock    held (flock) by the run's launcher for as long as it lives: a run whose lock
//                     nobody holds has ended, however it ended (even SIGKILL), and its tokens
//                     are refused as revoked
#pragma once
#include <string>
#include <vector>

namespace sbx::tokens {

// The state directory from the environment, or "" with `error` naming the variables to set.
std::string defaultStateDir(std::string& error);

// Checks that `stateDir` is private to the running user (making it 0700 with `create`).
bool checkStateDir(const std::string& stateDir, bool create, std::string& error);

// Creates and locks run `jti`'s lock file; the descriptor (close-on-exec) holds the lock until
// closed, or -1 with `error`.
int holdRunLock(const std::string& stateDir, const std::string& jti, std::string& error);
// Removes the lock file of run `jti` and closes `fd`: after its revocation is on record.
void releaseRunLock(const std::string& stateDir, const std::string& jti, int fd);

// Appends a revocation record for run `jti` to DIR/revoked.jsonl; true when it is on disk.
bool revokeRun(const std::string& stateDir, const std::string& jti, const std::string& task,
               const std::vector<std::string>& secrets, std::string& error);
// Whether run `jti` was revoked: on the list, or its launcher no longer holds its lock.
bool isRevoked(const std::string& stateDir, const std::string& jti);

}  // namespace sbx::tokens
