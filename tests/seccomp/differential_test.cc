// Differential tests: for every stdlib group (as a task allowing it, under several settings),
// every example policy and a thousand random policies, sbxc's filter, libseccomp's filters and
// the specification agree on every case (differential.h). Zero mismatches is the only pass.
#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "backends/seccomp/codegen.h"
#include "backends/seccomp/flat_rules.h"
#include "bpf/bpf_interpreter.h"
#include "frontend/frontend.h"
#include "seccomp/differential.h"
#include "seccomp/filter_support.h"
#include "support/paths.h"

using namespace sbx;
using namespace sbx::test;

namespace {

std::vector<std::string> stdlibGroups() {
  std::string text = readText(sourceDir() / "stdlib-policies/syscalls.sbx");
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    // "group NAME {" at the start of a line declares a group.
    if (line.rfind("group ", 0) != 0 || !line.ends_with(" {")) continue;
    out.push_back(line.substr(6, line.size() - 8));
  }
  return out;
}

void expectNoMismatch(const seccomp::FilterSpec& spec, std::uint64_t seed, References references) {
  DiffReport r = differential(spec, seed, references);
  INFO(r.first);
  CHECK(r.cases > 6000);
  CHECK(r.mismatches == 0);
}

}  // namespace

TEST_CASE("differential: every stdlib group, under several settings") {
  auto groups = stdlibGroups();
  REQUIRE(groups.size() >= 20);
  const char* variants[] = {
      "expect tier 1\n  syscalls {\n    allow @syscalls.{}\n  }",
      "expect tier 0\n  syscalls {\n    default kill\n    allow @syscalls.{}\n  }",
      "expect tier 2\n  connect \"api.example.com:443\"\n  syscalls {\n    default errno EACCES\n    arch x86_64, "
      "aarch64\n    foreign-arch errno ENOSYS\n    allow @syscalls.{}\n  }",
      "expect tier 3\n  syscalls {\n    baseline off\n    default trap\n    allow @syscalls.{}\n  }",
  };
  std::uint64_t seed = 1;
  for (const auto& g : groups) {
    for (const char* v : variants) {
      std::string body = v;
      body.replace(body.find("{}"), 2, g);
      std::string policy = "import std.syscalls\ntask t {\n  " + body + "\n}\n";
      CAPTURE(policy);
      frontend::Session session;
      auto result = session.loadText("group.sbx", policy);
      REQUIRE(result.model);
      const auto& task = result.model->tasks[0];
      expectNoMismatch(seccomp::buildSpec(task, seccomp::factsOf(task, task.expectedTier->value)), seed++,
                       g == "system-service" ? References::DefaultAndBinaryTree : References::Default);
    }
  }
}

TEST_CASE("differential: every task of the example policies") {
  for (const auto& file : filesUnder(sourceDir() / "examples", ".sbx")) {
    if (file.parent_path().filename() == "lib") continue;
    frontend::Session session;
    auto result = session.load(file.string());
    REQUIRE(result.model);
    for (const auto& task : result.model->tasks) {
      CAPTURE(file.string());
      CAPTURE(task.name);
      int tier = task.expectedTier ? task.expectedTier->value : 1;
      expectNoMismatch(seccomp::buildSpec(task, seccomp::factsOf(task, tier)), 7, References::Default);
    }
  }
}

namespace {

// A random but valid task: rules on a pool of syscalls (argument-checked ones included), every
// operator and width, values near the interesting edges, any action, default and arch set.
model::ResolvedTask randomTask(std::mt19937_64& rng) {
  static const char* names[] = {"socket", "ioctl",  "clone",  "personality", "read",  "write",     "mmap",
                                "openat", "fcntl",  "prctl",  "setpriority", "mlock", "kill",      "futex",
                                "ptrace", "clone3", "getpid", "unshare",     "bpf",   "exit_group"};
  static const std::uint64_t edges[] = {0,          1,          2,           10,          0x5412,     0x7E020000,
                                        0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 1ull << 63, ~0ull};
  auto pick = [&](auto& array) { return array[rng() % std::size(array)]; };
  auto value = [&]() -> std::uint64_t {
    switch (rng() % 4) {
      case 0:
        return rng();
      case 1:
        return rng() % 64;
      default:
        return pick(edges);
    }
  };
  auto action = [&]() {
    model::SyscallAction a;
    a.kind = static_cast<model::SyscallActionKind>(rng() % 6);
    if (a.kind == model::SyscallActionKind::Errno) a.errnoValue = 1 + static_cast<int>(rng() % 100);
    return a;
  };
  model::ResolvedTask task;
  task.name = "random";
  auto& p = task.syscalls;
  p.declared = rng() % 8 != 0;
  p.defaultAction = action();
  p.foreignArch = rng() % 2 ? model::SyscallAction{model::SyscallActionKind::Kill, 0}
                            : model::SyscallAction{model::SyscallActionKind::Errno, 38};
  p.baseline = rng() % 3 == 0 ? model::Switch::Off : model::Switch::On;
  if (rng() % 3 == 0) p.arches = {model::Arch::X86_64, model::Arch::Aarch64};
  if (rng() % 2) task.egress.push_back({});
  int rules = static_cast<int>(rng() % 8);
  for (int i = 0; i < rules; ++i) {
    model::SyscallRule r;
    r.syscall = pick(names);
    r.action = action();
    int conditions = static_cast<int>(rng() % 4);
    for (int c = 0; c < conditions; ++c) {
      model::ArgCondition cond;
      cond.arg = static_cast<unsigned>(rng() % (rng() % 2 ? 2 : 6));
      cond.width = static_cast<unsigned>(std::array{0, 32, 64}[rng() % 3]);
      cond.op = static_cast<model::CompareOp>(rng() % 8);
      if (cond.op == model::CompareOp::MaskedEq) {
        cond.mask = value();
        cond.values = {value() & cond.mask};
      } else if (cond.op == model::CompareOp::In) {
        for (int k = 0, n = 1 + static_cast<int>(rng() % 9); k < n; ++k) cond.values.push_back(value());
      } else {
        cond.values = {value()};
      }
      r.conditions.push_back(cond);
    }
    p.rules.push_back(r);
  }
  return task;
}

}  // namespace

TEST_CASE("differential: random policies") {
  std::mt19937_64 rng(20261122);
  int withLibseccomp = 0, withoutLibseccomp = 0;
  for (int i = 0; i < 400; ++i) {
    model::ResolvedTask task = randomTask(rng);
    int tier = static_cast<int>(rng() % 5);
    CAPTURE(i);
    auto spec = seccomp::buildSpec(task, seccomp::factsOf(task, tier));
    // Several 64-bit range conditions on one rule can need more flat rules than libseccomp's
    // form allows (sbxc compile reports SBX0056); sbxc's program is still checked against the
    // specification, which is what such a policy means.
    seccomp::FlatFilter flat;
    std::string error;
    bool expressible = seccomp::flatten(spec, flat, error);
    ++(expressible ? withLibseccomp : withoutLibseccomp);
    expectNoMismatch(spec, rng(), expressible ? References::Default : References::None);
  }
  CHECK(withLibseccomp > 250);
  CHECK(withoutLibseccomp > 10);  // the generator does reach past libseccomp's form
}

TEST_CASE("kernel cache: every unconditional allow is provably constant in sbxc's filters") {
  std::mt19937_64 rng(7);
  std::size_t allows = 0;
  for (int i = 0; i < 100; ++i) {
    model::ResolvedTask task = randomTask(rng);
    auto spec = seccomp::buildSpec(task, seccomp::factsOf(task, static_cast<int>(rng() % 5)));
    seccomp::Program program;
    std::string error;
    REQUIRE(seccomp::generateSbxc(spec, program, error));
    for (const auto& af : spec.arches)
      for (std::uint32_t nr = 0; nr < 1024; ++nr) {
        const auto* f = seccomp::findSyscall(af, nr);
        bool constantAllow = f != nullptr
                                 ? f->rules.empty() && f->fallback == seccomp::kAllow
                                 : (seccomp::isKnown(af, nr) ? af.defaultAction : af.unknownAction) == seccomp::kAllow;
        CAPTURE(nr);
        CHECK(seccomp::kernelCachesAllow(program, af.auditArch, nr) == constantAllow);
        allows += constantAllow;
      }
  }
  CHECK(allows > 1000);
}
