#include "backends/seccomp/metrics.h"

#include <algorithm>
#include <set>

#include "bpf/bpf_interpreter.h"

namespace sbx::seccomp {

namespace {

// Values around every constant the filter compares argument `arg` with, in both halves of a word.
std::vector<std::uint64_t> boundaryValues(const SyscallFilter& f, unsigned arg) {
  std::set<std::uint64_t> v{0, 1, 0xffffffffull, 0x100000000ull, ~0ull, 0x8000000000000000ull};
  auto around = [&](std::uint64_t x) {
    for (std::uint64_t d : {0ull, 1ull, ~0ull})  // x, x + 1, x - 1
      for (std::uint64_t high : {0ull, 0x100000000ull, 0xffffffff00000000ull}) {
        v.insert(x + d);
        v.insert((x + d) ^ high);
      }
  };
  for (const auto& r : f.rules)
    for (const auto& c : r.all) {
      if (c.arg != arg) continue;
      around(c.value);
      around(c.mask);
      around(c.value | ~c.mask);
      for (auto x : c.set) around(x);
    }
  return {v.begin(), v.end()};
}

unsigned pathOf(const Program& program, std::uint32_t arch, std::uint32_t nr, const Args& args, Action& action) {
  SeccompData d;
  d.arch = arch;
  d.nr = nr;
  std::copy(args.begin(), args.end(), d.args);
  Execution e = interpret(program, d);
  action = e.action;
  return e.executed;
}

}  // namespace

std::vector<Args> probeArguments(const SyscallFilter& f, std::mt19937_64& rng, int randomCount) {
  std::array<std::vector<std::uint64_t>, 6> pools;
  for (unsigned k = 0; k < 6; ++k) pools[k] = boundaryValues(f, k);
  std::vector<Args> out;
  for (unsigned k = 0; k < 6; ++k)
    for (auto x : pools[k]) {
      Args args{};
      args[k] = x;
      out.push_back(args);
    }
  for (int i = 0; i < randomCount; ++i) {
    Args args;
    for (unsigned k = 0; k < 6; ++k) args[k] = rng() % 8 == 0 ? rng() : pools[k][rng() % pools[k].size()];
    out.push_back(args);
  }
  return out;
}

FilterMetrics measure(const FilterSpec& spec, const Program& program) {
  FilterMetrics m;
  m.instructions = program.size();
  if (spec.arches.empty()) return m;
  const ArchFilter& af = spec.arches.front();
  std::mt19937_64 rng(1);
  double pathSum = 0, deniedSum = 0;
  std::size_t denied = 0;
  for (std::uint32_t nr = 0; nr < 1024; ++nr) {
    const SyscallFilter* f = findSyscall(af, nr);
    bool conditional = f != nullptr && !f->rules.empty();
    // Zero arguments first: the one probe of an unconditional syscall, and the denied-path probe.
    std::vector<Args> probes{Args{}};
    if (conditional) {
      auto more = probeArguments(*f, rng, 200);
      probes.insert(probes.end(), more.begin(), more.end());
    }
    PathRange range{f != nullptr ? f->name : "", ~0u, 0};
    unsigned allowPath = 0;
    bool everAllowed = false, alwaysAllowed = true;
    for (std::size_t i = 0; i < probes.size(); ++i) {
      Action action = 0;
      unsigned path = pathOf(program, af.auditArch, nr, probes[i], action);
      range.shortest = std::min(range.shortest, path);
      range.longest = std::max(range.longest, path);
      if (i == 0 && isKnown(af, nr) && !isPermissive(action)) {
        ++denied;
        deniedSum += path;
        m.maxDeniedPath = std::max(m.maxDeniedPath, path);
      }
      if (action == kAllow) {
        everAllowed = true;
        allowPath = std::max(allowPath, path);
      } else {
        alwaysAllowed = false;
      }
    }
    if (conditional) m.argumentChecked.push_back(range);
    if (everAllowed) {
      ++m.allowed;
      pathSum += allowPath;
      m.maxAllowedPath = std::max(m.maxAllowedPath, allowPath);
    }
    if (everAllowed && alwaysAllowed && !conditional) {
      ++m.unconditionalAllows;
      m.cacheable += kernelCachesAllow(program, af.auditArch, nr);
    }
  }
  m.meanAllowedPath = m.allowed == 0 ? 0 : pathSum / static_cast<double>(m.allowed);
  m.meanDeniedPath = denied == 0 ? 0 : deniedSum / static_cast<double>(denied);
  return m;
}

}  // namespace sbx::seccomp
