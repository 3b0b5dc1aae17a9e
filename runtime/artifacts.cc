#include "runtime/artifacts.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "backends/artifacts.h"
#include "backends/seccomp/seccomp.h"
#include "diag/render.h"
#include "frontend/frontend.h"
#include "version.h"

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The policy and every file it imports, transitively: what the compiled artifacts depend on
// besides the compiler (whose version, with the embedded stdlib, is part of the key).
std::string dependencyDigest(const fs::path& policy) {
  static const std::regex kImport(R"re(^\s*import\s+"([^"]+)")re", std::regex::multiline);
  std::set<fs::path> seen;
  std::vector<fs::path> todo{fs::weakly_canonical(policy)};
  std::string material = fmt::format("sbxc {}\n", SBXC_VERSION);
  while (!todo.empty()) {
    fs::path file = todo.back();
    todo.pop_back();
    if (!seen.insert(file).second) continue;
    std::string text = readFile(file).value_or("<unreadable>");
    material += fmt::format("{}\n{}\n{}\n", file.string(), text.size(), text);
    for (std::sregex_iterator it(text.begin(), text.end(), kImport), end; it != end; ++it)
      todo.push_back(fs::weakly_canonical(file.parent_path() / (*it)[1].str()));
  }
  return seccomp::sha256Hex(material);
}

fs::path cacheRoot() {
  if (const char* dir = std::getenv("SBX_RUN_CACHE")) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "sbx-run";
  if (geteuid() == 0) return "/var/cache/sbx-run";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache/sbx-run";
  return fs::temp_directory_path() / fmt::format("sbx-run-{}", geteuid());
}

// The one root task directory under `dir`, or the named one.
std::optional<fs::path> pickTask(const fs::path& dir, const std::string& task, std::string& error) {
  if (!task.empty()) return dir / task;
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (fs::exists(entry.path() / "plan.json")) found.push_back(entry.path());
  std::sort(found.begin(), found.end());
  if (found.size() == 1) return found[0];
  std::string names;
  for (const auto& f : found) names += (names.empty() ? "" : ", ") + f.filename().string();
  error = fmt::format("the policy declares {} tasks ({}); choose one with --task NAME", found.size(), names);
  return std::nullopt;
}

}  // namespace

std::optional<Task> loadTaskDir(const std::string& dir, std::string& error) {
  Task t;
  t.dir = dir;
  auto planText = readFile(fs::path(dir) / "plan.json");
  if (!planText) {
    error = fmt::format("{} has no readable plan.json; give a directory written by `sbxc compile`", dir);
    return std::nullopt;
  }
  t.plan = nlohmann::json::parse(*planText, nullptr, false);
  if (t.plan.is_discarded() || !t.plan.is_object() || t.plan.value("schema", "") != "sbxc.plan/v1") {
    error = fmt::format("{}/plan.json is not a plan of schema sbxc.plan/v1", dir);
    return std::nullopt;
  }
  t.planDigest = seccomp::sha256Hex(*planText);
  t.tier = t.plan.value("tier", -1);
  const auto& entry = t.plan["seccomp"];
  if (!entry.is_object()) {
    error = fmt::format("{}/plan.json names no seccomp filter; recompile it with this sbxc", dir);
    return std::nullopt;
  }
  auto bpf = readFile(fs::path(dir) / entry.value("file", "seccomp.bpf"));
  if (!bpf || bpf->empty() || bpf->size() % sizeof(sock_filter) != 0 ||
      seccomp::sha256Hex(*bpf) != entry.value("sha256", "")) {
    error = fmt::format("{}: the seccomp filter is missing or does not match the digest in plan.json", dir);
    return std::nullopt;
  }
  t.filter.resize(bpf->size() / sizeof(sock_filter));
  std::memcpy(t.filter.data(), bpf->data(), bpf->size());
  return t;
}

std::optional<Task> loadPolicy(const std::string& policy, const std::string& task, std::string& error) {
  if (!fs::exists(policy)) {
    error = fmt::format("{}: no such policy file", policy);
    return std::nullopt;
  }
  fs::path dir = cacheRoot() / dependencyDigest(policy);
  if (!fs::exists(dir)) {
    frontend::Session session;
    auto result = session.load(policy);
    auto diagnostics = result.diagnostics.sorted();
    bool errors = !result.model;
    for (const auto& d : diagnostics) {
      errors |= d.severity == Severity::Error;
      if (d.severity == Severity::Error) std::fputs(renderText(d, session.sources(), {}).c_str(), stderr);
    }
    if (errors) {
      error = fmt::format("{} does not compile (run `sbxc check {}`)", policy, policy);
      return std::nullopt;
    }
    auto report = classifier::classify(*result.model, {classifier::todayUtc()});
    auto built = backends::buildArtifacts(*result.model, report, session.sources(), dir.string(), {});
    for (const auto& d : built.errors) std::fputs(renderText(d, session.sources(), {}).c_str(), stderr);
    std::string writeError;
    if (!built.errors.empty() || !writeFilesAtomically(built.files, writeError)) {
      error = fmt::format("cannot compile {} into {}: {}", policy, dir.string(),
                          writeError.empty() ? "the seccomp filter cannot be built" : writeError);
      return std::nullopt;
    }
  }
  auto taskDir = pickTask(dir, task, error);
  if (!taskDir) return std::nullopt;
  return loadTaskDir(taskDir->string(), error);
}

}  // namespace sbx::run
