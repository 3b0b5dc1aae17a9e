#include "runtime/broker.h"

#include <chrono>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "runtime/tokens/token.h"

namespace sbx::run {

bool Broker::issue(const nlohmann::json& plan, const std::string& runId, const std::string& stateDir,
                   std::string& error) {
  const auto& scopes = plan.value("tokens", nlohmann::json::array());
  if (scopes.empty()) return true;
  for (const auto& s : scopes)
    if (!s.value("tool", "").empty()) {
      error = fmt::format(
          "secret `{}` is for tool `{}` alone, and sbx-run cannot hand a token to one tool's processes and not to the "
          "others in the same sandbox; it refuses rather than expose it to all (declare the secret for the task, or "
          "export the task to a runtime that runs each tool apart)",
          s.value("secret", ""), s.value("tool", ""));
      return false;
    }
  if (!keys_.open(stateDir, true, error)) return false;
  runId_ = runId;
  task_ = plan["task"].value("qualifiedName", plan["task"].value("name", ""));
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  for (const auto& s : scopes) {
    tokens::Claims claims;
    claims.subject = s.value("subject", "");
    claims.audience = s.value("audience", "");
    claims.scopes = s.value("scopes", std::vector<std::string>{});
    claims.runId = runId;
    claims.task = task_;
    claims.secret = s.value("secret", "");
    claims.source = s.value("source", "");
    claims.issuedAt = now.count();
    claims.expiresAt = now.count() + static_cast<std::int64_t>((s.value("ttlMs", std::uint64_t{0}) + 999) / 1000);
    std::string token = tokens::mint(keys_, claims, error);
    if (token.empty()) return false;
    const auto& exposure = s["exposure"];
    issued_.push_back({claims.secret, token, exposure.value("kind", "file"), exposure.value("target", "")});
    // The audit line names the token (run, secret, audience, scope, expiry), never its text.
    audit_.event("token-issued", {{"secret", claims.secret},
                                  {"jti", runId},
                                  {"audience", claims.audience},
                                  {"scopes", claims.scopes},
                                  {"expiresAt", claims.expiresAt},
                                  {"exposure", exposure}});
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
    m.files.push_back({target.filename().string(), t.token});
  }
  std::vector<PlannedMount> out;
  for (auto& [dir, m] : byDirectory) out.push_back(std::move(m));
  return out;
}

std::vector<std::string> Broker::environment() const {
  std::vector<std::string> env;
  for (const auto& t : issued_)
    if (t.exposureKind == "env") env.push_back(t.target + "=" + t.token);
  return env;
}

void Broker::revoke() {
  if (issued_.empty() || revoked_) return;
  revoked_ = true;
  std::vector<std::string> secrets;
  for (const auto& t : issued_) secrets.push_back(t.secret);
  std::string error;
  if (!keys_.revoke(runId_, task_, secrets, error)) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    audit_.event("token-revoke-failed", {{"jti", runId_}, {"error", error}});
    return;
  }
  audit_.event("token-revoked", {{"jti", runId_}, {"secrets", secrets}});
}

}  // namespace sbx::run
