// The seccomp code generators compared on real profiles (bench/seccomp.sh runs this): for
// Docker's default profile, imported, and each std.programs profile, the filter that sbxc's
// generator, libseccomp's default and libseccomp's binary tree (SCMP_FLTATR_CTL_OPTIMIZE=2) make
// of the same specification: instructions, argument-checked paths, mean and longest path to an
// allowed syscall, the fraction of unconditional allows the kernel caches, and compile time
// (median of many runs, specification to BPF), with sbxc's ratios to each libseccomp mode. For
// Docker's profile, libseccomp also compiles the JSON itself, as runc does ("JSON" rows).
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/seccomp/codegen.h"
#include "backends/seccomp/libseccomp_codegen.h"
#include "backends/seccomp/metrics.h"
#include "frontend/frontend.h"
#include "importers/docker_reference.h"
#include "importers/docker_seccomp.h"

using namespace sbx;
using namespace sbx::seccomp;

namespace {

struct Profile {
  std::string name;
  model::ResolvedTask task;
  int tier;
};

struct Result {
  FilterMetrics metrics;
  double compileMicros = 0;  // median
};

using Generate = std::function<bool(const FilterSpec&, Program&, std::string&)>;

double medianMicros(const std::function<void()>& run, int runs) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    run();
    times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

Result measureOne(const FilterSpec& spec, const Generate& generate, int runs) {
  Program program;
  std::string error;
  if (!generate(spec, program, error)) {
    fmt::print(stderr, "seccomp_bench: {}\n", error);
    std::exit(1);
  }
  Result r{measure(spec, program), 0};
  r.compileMicros = medianMicros(
      [&] {
        Program p;
        generate(spec, p, error);
      },
      runs);
  return r;
}

std::string paths(const FilterMetrics& m) {
  if (m.argumentChecked.empty()) return "-";
  unsigned lo = ~0u, hi = 0;
  for (const auto& p : m.argumentChecked) lo = std::min(lo, p.longest), hi = std::max(hi, p.longest);
  return lo == hi ? fmt::format("{}", hi) : fmt::format("{}-{}", lo, hi);
}

unsigned longestArgPath(const FilterMetrics& m) {
  unsigned hi = 0;
  for (const auto& p : m.argumentChecked) hi = std::max(hi, p.longest);
  return hi;
}

model::ResolvedTask loadTask(const std::string& name, const std::string& text) {
  frontend::Session session;
  auto loaded = session.loadText(name + ".sbx", text);
  if (!loaded.model || loaded.model->tasks.empty()) {
    fmt::print(stderr, "seccomp_bench: the policy for {} does not load\n", name);
    std::exit(1);
  }
  return loaded.model->tasks[0];
}

// Nanoseconds per ioctl(FIONREAD) in a child running under `program` (none: no filter).
double ioctlNanos(const Program* program) {
  int result[2], fds[2];
  if (pipe(result) != 0 || pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (program != nullptr) {
      sock_fprog prog{static_cast<unsigned short>(program->size()), const_cast<sock_filter*>(program->data())};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        _exit(1);
    }
    constexpr int kCalls = 200000;
    int n = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) ioctl(fds[0], FIONREAD, &n);
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / kCalls;
    _exit(write(result[1], &ns, sizeof ns) == sizeof ns ? 0 : 1);
  }
  double ns = -1;
  if (read(result[0], &ns, sizeof ns) != sizeof ns) ns = -1;
  waitpid(pid, nullptr, 0);
  for (int fd : {result[0], result[1], fds[0], fds[1]}) close(fd);
  return ns;
}

// What the ioctl baseline (TIOCSTI, TIOCLINUX) costs: the imported Docker task as it is
// (baseline off: ioctl allowed outright, cached by the kernel) against the same task with the
// T1 baseline (ioctl argument-checked, so the filter runs on every call), medians of 7 runs.
void ioctlCost(const model::ResolvedTask& docker) {
  model::ResolvedTask withBaseline = docker;
  withBaseline.syscalls.baseline = model::Switch::On;
  Program off, on;
  std::string error;
  if (!generateSbxc(buildSpec(docker, factsOf(docker, 1)), off, error) ||
      !generateSbxc(buildSpec(withBaseline, factsOf(withBaseline, 1)), on, error)) {
    fmt::print(stderr, "seccomp_bench: {}\n", error);
    std::exit(1);
  }
  std::vector<double> none, cached, checked;
  for (int i = 0; i < 7; ++i) {
    none.push_back(ioctlNanos(nullptr));
    cached.push_back(ioctlNanos(&off));
    checked.push_back(ioctlNanos(&on));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  double n = median(none), c = median(cached), k = median(checked);
  fmt::print(
      "\nioctl(FIONREAD), ns per call: no filter {:.0f}, Docker's profile (ioctl cached) {:.0f}, with the "
      "TIOCSTI baseline (ioctl filtered) {:.0f}: the baseline adds {:.0f} ns ({:.1f}%)\n",
      n, c, k, k - c, c > 0 ? 100.0 * (k - c) / c : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: seccomp_bench DOCKER-PROFILE.json\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    fmt::print(stderr, "seccomp_bench: cannot read {}\n", argv[1]);
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string json = buffer.str(), error;
  importers::DockerImportOptions options;
  options.fileName = argv[1];
  importers::DockerImport imported;
  if (!importers::importDockerSeccomp(json, options, imported, error)) {
    fmt::print(stderr, "seccomp_bench: {}\n", error);
    return 1;
  }
  std::vector<Profile> profiles{{"docker-default (imported)", loadTask("docker", imported.sbx), 0}};
  for (const char* p : {"runtime", "python3", "shell", "coreutils", "git", "cc", "curl"}) {
    std::string egress = std::string(p) == "curl" ? "  connect \"example.org:443\"\n" : "";
    profiles.push_back(
        {fmt::format("std.programs.{} (T1)", p),
         loadTask(p, fmt::format("import std.programs\ntask t {{\n  use programs.{}\n{}  write workspace\n"
                                 "  syscalls {{ default errno EPERM }}\n}}\n",
                                 p, egress)),
         1});
  }

  const std::vector<std::pair<std::string, Generate>> onSpec = {
      {"sbxc", generateSbxc},
      {"libseccomp", [](const FilterSpec& s, Program& p, std::string& e) { return generateLibseccomp(s, 1, p, e); }},
      {"libseccomp tree",
       [](const FilterSpec& s, Program& p, std::string& e) { return generateLibseccomp(s, 2, p, e); }},
  };
  fmt::print("{:<28} {:<23} {:>6} {:>9} {:>7} {:>5} {:>7} {:>5} {:>10} {:>11}\n", "", "", "", "", "allowed", "",
             "denied", "", "", "");
  fmt::print("{:<28} {:<23} {:>6} {:>9} {:>7} {:>5} {:>7} {:>5} {:>10} {:>11}\n", "profile", "generator", "instr",
             "arg paths", "mean", "max", "mean", "max", "cacheable", "compile us");
  // Docker's profile also as runc loads it, straight from the JSON (the spec is only measured by).
  auto fromProfile = [&](int optimize) -> Generate {
    return [&json, optimize](const FilterSpec&, Program& p, std::string& e) {
      return importers::libseccompOfDockerProfile(json, importers::dockerDefaultCapabilities(), optimize, p, e);
    };
  };
  for (const auto& profile : profiles) {
    FilterSpec spec = buildSpec(profile.task, factsOf(profile.task, profile.tier));
    auto generators = onSpec;
    if (&profile == &profiles.front()) {
      generators.emplace_back("libseccomp, JSON", fromProfile(1));
      generators.emplace_back("l.s. tree, JSON", fromProfile(2));
    }
    std::vector<Result> results;
    for (const auto& [name, generate] : generators) {
      results.push_back(measureOne(spec, generate, 301));
      const auto& m = results.back().metrics;
      fmt::print("{:<28} {:<23} {:>6} {:>9} {:>7.2f} {:>5} {:>7.2f} {:>5} {:>9.1f}% {:>11.1f}\n", profile.name, name,
                 m.instructions, paths(m), m.meanAllowedPath, m.maxAllowedPath, m.meanDeniedPath, m.maxDeniedPath,
                 m.unconditionalAllows == 0
                     ? 100.0
                     : 100.0 * static_cast<double>(m.cacheable) / static_cast<double>(m.unconditionalAllows),
                 results.back().compileMicros);
    }
    const auto& s = results[0];
    for (std::size_t i = 1; i < results.size(); ++i) {
      const auto& o = results[i];
      auto ratio = [](double a, double b) { return b == 0 ? 0.0 : a / b; };
      fmt::print("{:<28} sbxc / {:<16} {:>6.2f} {:>9.2f} {:>7.2f} {:>5.2f} {:>7.2f} {:>5.2f} {:>10} {:>11.2f}\n", "",
                 generators[i].first,
                 ratio(static_cast<double>(s.metrics.instructions), static_cast<double>(o.metrics.instructions)),
                 ratio(longestArgPath(s.metrics), longestArgPath(o.metrics)),
                 ratio(s.metrics.meanAllowedPath, o.metrics.meanAllowedPath),
                 ratio(s.metrics.maxAllowedPath, o.metrics.maxAllowedPath),
                 ratio(s.metrics.meanDeniedPath, o.metrics.meanDeniedPath),
                 ratio(s.metrics.maxDeniedPath, o.metrics.maxDeniedPath), "", ratio(s.compileMicros, o.compileMicros));
    }
    double specMicros = medianMicros([&] { buildSpec(profile.task, factsOf(profile.task, profile.tier)); }, 301);
    fmt::print("{:<28} task to specification (before every generator on it): {:.1f} us\n", "", specMicros);
  }
  ioctlCost(profiles.front().task);
  return 0;
}
