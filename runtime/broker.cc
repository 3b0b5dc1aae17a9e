#include "runtime/broker.h"

#include <chrono>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "plan/plan_json.h"
#include "runtime/host_secret.h"
#include "runtime/sbxc_process.h"
#include "runtime/tool_gate/protocol.h"
#include "tokens/revocations.h"

namespace sbx::run {

bool Broker::issue(const plan::Plan& plan, const std::string& runId, const std::string& stateDir, std::string& error) {
  const auto& scopes = plan.tokens;
  if (scopes.empty()) return true;
  runId_ = runId;
  stateDir_ = stateDir;
  task_ = plan.task.qualifiedName.empty() ? plan.task.name : plan.task.qualifiedName;
  // Host files first: one that cannot be read refuses the run before anything is minted.
  std::vector<std::string> hostContents(scopes.size());
  bool anyMinted = false;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (!scopes[i].hostFile) {
      anyMinted = true;
      continue;
    }
    auto text = readHostSecret(scopes[i].source, error);
    if (!text) return false;
    hostContents[i] = std::move(*text);
  }
  nlohmann::json minted{{"tokens", nlohmann::json::array()}};
  if (anyMinted && !mint(plan, stateDir, minted, error)) return false;
  std::size_t nextMinted = 0;
  int nextFd = gate::kFirstSecretFd;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const auto& s = scopes[i];
    std::string token = s.hostFile ? std::move(hostContents[i]) : minted["tokens"][nextMinted].get<std::string>();
    IssuedToken t{s.secret,         std::move(token), std::string(plan::nameOf(s.exposure)),
                  s.exposureTarget, s.tool,           s.toolExec};
    t.hostFile = s.hostFile;
    if (!t.tool.empty() && t.exposureKind == "file") t.fd = nextFd++;
    // The exposure as plan.json words it, for the audit line.
    nlohmann::ordered_json exposure{{"kind", plan::nameOf(s.exposure)}, {"target", s.exposureTarget}};
    if (s.hostFile) {
      // A static credential: named with its host file, never its text; nothing to revoke.
      nlohmann::ordered_json line{{"secret", s.secret}, {"source", s.source}, {"exposure", exposure}};
      if (!t.tool.empty()) line["tool"] = t.tool;
      audit_.event("host-secret-delivered", std::move(line));
    } else {
      const auto& claims = mintRequest_["tokens"][nextMinted++];
      // The audit line names the token (run, secret, audience, scope, expiry, tool), never its text.
      nlohmann::ordered_json line{{"secret", claims["secret"]},
                                  {"jti", runId},
                                  {"keyId", minted.value("keyId", "")},
                                  {"audience", claims["audience"]},
                                  {"scopes", claims["scopes"]},
                                  {"expiresAt", claims["expiresAt"]},
                                  {"exposure", exposure}};
      if (!t.tool.empty()) line["tool"] = t.tool;
      audit_.event("token-issued", std::move(line));
    }
    issued_.push_back(std::move(t));
  }
  return true;
}

// Signs the plan's minted tokens (not the host files) with `sbxc token mint`, holding the run's lock.
bool Broker::mint(const plan::Plan& plan, const std::string& stateDir, nlohmann::json& minted, std::string& error) {
  // The lock first: a token exists only while its run's lock is held.
  if (!tokens::checkStateDir(stateDir, true, error)) return false;
  runLock_ = tokens::holdRunLock(stateDir, runId_, error);
  if (runLock_ < 0) return false;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  mintRequest_ = nlohmann::json{{"stateDir", stateDir}, {"tokens", nlohmann::json::array()}};
  for (const auto& s : plan.tokens)
    if (!s.hostFile)
      mintRequest_["tokens"].push_back(
          {{"subject", s.subject},
           {"audience", s.audience},
           {"scopes", s.scopes},
           {"runId", runId_},
           {"task", task_},
           {"secret", s.secret},
           {"source", s.source},
           {"issuedAt", now.count()},
           {"expiresAt", now.count() + static_cast<std::int64_t>((s.ttlMs + 999) / 1000)}});
  // sbxc signs: the launcher links no cryptography (sbxc_process.h).
  std::string answer;
  int status = runSbxc({"token", "mint"}, mintRequest_.dump(), &answer, error);
  minted = nlohmann::json::parse(answer, nullptr, false);
  if (status != 0 || !minted.is_object() || !minted["tokens"].is_array() ||
      minted["tokens"].size() != mintRequest_["tokens"].size()) {
    if (status >= 0) error = "the broker could not sign the task's tokens (`sbxc token mint` failed: see above)";
    return false;
  }
  return true;
}

std::vector<PlannedMount> Broker::secretMounts(uid_t uid, gid_t gid) const {
  std::map<std::string, PlannedMount> byDirectory;
  for (const auto& t : issued_) {
    if (t.exposureKind != "file") continue;
    std::filesystem::path target = t.target;
    PlannedMount& m = byDirectory[target.parent_path().string()];
    m.type = "secrets";
    m.target = target.parent_path().string();
    m.readOnly = true;
    m.noexec = true;
    m.owner = uid;
    m.group = gid;
    if (t.tool.empty())
      m.files.push_back({target.filename().string(), t.token, ""});
    else  // the tool's gate puts the token at descriptor fd; anyone else finds their own fd there
      m.files.push_back({target.filename().string(), "", fmt::format("/proc/self/fd/{}", t.fd)});
  }
  std::vector<PlannedMount> out;
  for (auto& [dir, m] : byDirectory) out.push_back(std::move(m));
  return out;
}

std::vector<std::string> Broker::environment() const {
  std::vector<std::string> env;
  for (const auto& t : issued_)
    if (t.exposureKind == "env" && t.tool.empty()) env.push_back(t.target + "=" + t.token);
  return env;
}

void Broker::revoke() {
  if (revoked_) return;
  revoked_ = true;
  std::vector<std::string> secrets;  // the minted ones: a host file's copy goes with the sandbox
  for (const auto& t : issued_)
    if (!t.hostFile) secrets.push_back(t.secret);
  if (runLock_ < 0) return;  // nothing was minted
  if (secrets.empty()) {
    tokens::releaseRunLock(stateDir_, runId_, runLock_);
    return;
  }
  std::string error;
  if (!tokens::revokeRun(stateDir_, runId_, task_, secrets, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    audit_.event("token-revoke-failed", {{"jti", runId_}, {"error", error}});
  } else {
    audit_.event("token-revoked", {{"jti", runId_}, {"secrets", secrets}});
  }
  // Without the record, the released lock still makes verifiers refuse the run's tokens.
  tokens::releaseRunLock(stateDir_, runId_, runLock_);
  runLock_ = -1;
}

}  // namespace sbx::run
