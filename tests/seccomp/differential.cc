#include "seccomp/differential.h"

#include <doctest/doctest.h>

#include <random>

#include <fmt/format.h>

#include "bpf/bpf_interpreter.h"
#include "backends/seccomp/codegen.h"
#include "backends/seccomp/libseccomp_codegen.h"
#include "backends/seccomp/metrics.h"

namespace sbx::test {

using namespace sbx::seccomp;

DiffReport differential(const FilterSpec& spec, std::uint64_t seed, References references, const Program* external) {
  DiffReport report;
  Program mine, reference, tree;
  std::string error;
  bool defaultToo = references != References::None;
  bool binaryTreeToo = references == References::DefaultAndBinaryTree;
  REQUIRE_MESSAGE(generateSbxc(spec, mine, error), error);
  if (defaultToo) REQUIRE_MESSAGE(generateLibseccomp(spec, 1, reference, error), error);
  if (binaryTreeToo) REQUIRE_MESSAGE(generateLibseccomp(spec, 2, tree, error), error);
  REQUIRE_MESSAGE(validate(mine, error), error);

  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> arches{kAuditArchX86_64, kAuditArchAarch64, kAuditArchI386, 0x12345678u};
  std::vector<std::uint32_t> numbers;
  for (std::uint32_t nr = 0; nr < 1024; ++nr) numbers.push_back(nr);
  for (std::uint32_t nr = 0; nr < 1024; ++nr) numbers.push_back(kX32SyscallBit | nr);
  for (std::uint32_t nr : {0x3fffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu, 0x40000400u})
    numbers.push_back(nr);

  auto check = [&](std::uint32_t arch, std::uint32_t nr, const Args& args) {
    SeccompData d;
    d.arch = arch;
    d.nr = nr;
    for (int i = 0; i < 6; ++i) d.args[i] = args[static_cast<std::size_t>(i)];
    Action expected = evaluate(spec, arch, nr, args);
    auto a = interpret(mine, d);
    ++report.cases;
    bool bad = !a.ok || a.action != expected;
    std::uint32_t defaultAction = expected;
    if (defaultToo) {
      auto b = interpret(reference, d);
      defaultAction = b.action;
      bad |= !b.ok || b.action != expected;
    }
    std::uint32_t treeAction = expected;
    if (external != nullptr) {
      auto x = interpret(*external, d);
      bad |= !x.ok || x.action != expected;
      if (bad && report.mismatches == 0) report.first = fmt::format("external reference: {}; ", actionName(x.action));
    }
    if (binaryTreeToo) {
      auto t = interpret(tree, d);
      treeAction = t.action;
      bad |= !t.ok || t.action != expected;
    }
    if (!bad) return;
    if (report.mismatches++ == 0)
      report.first += fmt::format(
          "arch 0x{:08x} nr {} args [{:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}]: spec {}, sbxc {}, libseccomp {}, "
          "libseccomp tree {}{}",
          arch, nr, args[0], args[1], args[2], args[3], args[4], args[5], actionName(expected), actionName(a.action),
          actionName(defaultAction), actionName(treeAction), a.ok ? "" : " (" + a.error + ")");
  };

  for (auto arch : arches) {
    const ArchFilter* af = nullptr;
    for (const auto& a : spec.arches)
      if (a.auditArch == arch) af = &a;
    for (auto nr : numbers) {
      const SyscallFilter* f = af != nullptr ? findSyscall(*af, nr) : nullptr;
      if (f == nullptr || f->rules.empty()) {
        check(arch, nr, Args{});
        Args random;
        for (auto& x : random) x = rng();
        check(arch, nr, random);
        continue;
      }
      for (const auto& args : probeArguments(*f, rng, 400)) check(arch, nr, args);
    }
  }
  return report;
}

}  // namespace sbx::test
