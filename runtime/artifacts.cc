#include "runtime/artifacts.h"

#include <unistd.h>

#include <cstring>

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "runtime/sbxc_process.h"
#include "util/read_file.h"
#include "util/sha256.h"
#include "version.h"

namespace sbx::run {

namespace fs = std::filesystem;

namespace {

// The paths of `import "PATH"` lines (relative imports; std modules are part of the compiler).
std::vector<std::string> relativeImports(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(std::min(text.size(), line.size() + 1));
    auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line.substr(start, 6) != "import") continue;
    auto open = line.find('"', start), close = line.find('"', open + 1);
    if (open != std::string_view::npos && close != std::string_view::npos)
      out.emplace_back(line.substr(open + 1, close - open - 1));
  }
  return out;
}

// The policy and every file it imports, transitively: what the compiled artifacts depend on
// besides the compiler (whose version, with the embedded stdlib, is part of the key).
std::string dependencyDigest(const fs::path& policy) {
  std::set<fs::path> seen;
  std::vector<fs::path> pending{fs::weakly_canonical(policy)};
  std::string material = fmt::format("sbxc {}\n", SBXC_VERSION);
  while (!pending.empty()) {
    fs::path file = pending.back();
    pending.pop_back();
    if (!seen.insert(file).second) continue;
    std::string text = readWholeFile(file).value_or("<unreadable>");
    material += fmt::format("{}\n{}\n{}\n", file.string(), text.size(), text);
    for (const auto& imported : relativeImports(text))
      pending.push_back(fs::weakly_canonical(file.parent_path() / imported));
  }
  return sha256Hex(material);
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

bool compileWithSbxc(const std::string& policy, const fs::path& dir, std::string& error) {
  // sbxc's diagnostics and lint findings go straight to our stderr; its list of files is dropped.
  int status = runSbxc({"compile", policy, "-o", dir.string()}, "", nullptr, error);
  if (status < 0) {
    error = fmt::format("{} (to compile {})", error, policy);
    return false;
  }
  if (status != 0) {
    error = fmt::format("{} does not compile (see above; `sbxc check {}` lists every problem)", policy, policy);
    fs::remove_all(dir);
    return false;
  }
  return true;
}

}  // namespace

std::optional<Task> loadTaskDir(const std::string& dir, std::string& error) {
  Task t;
  t.dir = dir;
  auto planText = readWholeFile(fs::path(dir) / "plan.json");
  if (!planText) {
    error = fmt::format("{} has no readable plan.json; give a directory written by `sbxc compile`", dir);
    return std::nullopt;
  }
  t.plan = nlohmann::json::parse(*planText, nullptr, false);
  if (t.plan.is_discarded() || !t.plan.is_object() || t.plan.value("schema", "") != "sbxc.plan/v1") {
    error = fmt::format("{}/plan.json is not a plan of schema sbxc.plan/v1", dir);
    return std::nullopt;
  }
  t.planText = std::move(*planText);
  t.tier = t.plan.value("tier", -1);
  const auto& entry = t.plan["seccomp"];
  if (!entry.is_object()) {
    error = fmt::format("{}/plan.json names no seccomp filter; recompile it with this sbxc", dir);
    return std::nullopt;
  }
  auto bpf = readWholeFile(fs::path(dir) / entry.value("file", "seccomp.bpf"));
  if (!bpf || bpf->empty() || bpf->size() % sizeof(sock_filter) != 0 || sha256Hex(*bpf) != entry.value("sha256", "")) {
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
  if (!fs::exists(dir) && !compileWithSbxc(policy, dir, error)) return std::nullopt;
  auto taskDir = pickTask(dir, task, error);
  if (!taskDir) return std::nullopt;
  return loadTaskDir(taskDir->string(), error);
}

}  // namespace sbx::run
