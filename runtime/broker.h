// The broker: for each token scope of the plan (plan.json's "tokens"), a token minted when the
// task starts (signed by `sbxc token mint` with the key in the state directory), exposed only as
// declared, and revoked when the task ends. While it runs, the launcher holds the run's lock in the
// state directory (revocations.h): if the launcher is killed outright, the lock goes with it and
// the tokens are refused as revoked all the same. A `source file` secret is not minted: its host
// file is copied as it is (host_secret.h) and exposed the same way.
//
// Exposure: a file is written 0400, owned by the payload's user, on a private tmpfs mounted
// read-only at its directory (/run/secrets by default), which disappears with the sandbox; an
// environment variable is set in the payload's environment. A token for one tool alone reaches
// only that tool, through its gate (tool_gates.h): its file is a link to /proc/self/fd/N, the
// descriptor at which the gate puts it, and its variable is set by the gate.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "runtime/audit.h"
#include "runtime/mounts.h"

namespace sbx::run {

struct IssuedToken {
  std::string secret, token, exposureKind, target;
  std::string tool, toolExec;  // the one tool that may see it, and its executable; empty: the task's
  int fd = -1;                 // a tool's file: the descriptor its link names
  bool hostFile = false;       // copied from a host file (`source file`): not minted, not revoked
};

class Broker {
 public:
  explicit Broker(AuditLog& audit) : audit_(audit) {}
  ~Broker() { revoke(); }
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Mints the plan's tokens for run `runId`, with the key in `stateDir` (made on first use).
  // False, with `error`, when a token cannot be issued as declared.
  bool issue(const plan::Plan& plan, const std::string& runId, const std::string& stateDir, std::string& error);
  // The private tmpfs mounts that carry the file exposures, owned by `uid`:`gid`.
  std::vector<PlannedMount> secretMounts(uid_t uid, gid_t gid) const;
  // NAME=TOKEN for the task's environment exposures (a tool's are set by its gate).
  std::vector<std::string> environment() const;
  // Every token issued; those with a tool go to that tool's gate.
  const std::vector<IssuedToken>& issued() const { return issued_; }
  // Records the run as revoked (once) and drops its lock; every token of it is refused from then on.
  void revoke();

 private:
  bool mint(const plan::Plan& plan, const std::string& stateDir, nlohmann::json& minted, std::string& error);

  AuditLog& audit_;
  std::vector<IssuedToken> issued_;
  nlohmann::json mintRequest_;  // what `sbxc token mint` was asked for: the claims of the audit lines
  std::string runId_, task_, stateDir_;
  bool revoked_ = false;
  int runLock_ = -1;  // flock held on the run's lock file while the run lives
};

}  // namespace sbx::run
