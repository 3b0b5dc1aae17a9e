// `sbxc import docker-seccomp`: the imported task, compiled by sbxc, decides every syscall as
// libseccomp's own compilation of the original profile does (built straight from the JSON, the
// way runc loads it: importers/docker_reference.h), and its filter meets the targets on
// Docker's default profile.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "backends/seccomp/codegen.h"
#include "backends/seccomp/libseccomp_codegen.h"
#include "backends/seccomp/metrics.h"
#include "bpf/bpf_interpreter.h"
#include "classifier/classify.h"
#include "frontend/frontend.h"
#include "importers/docker_reference.h"
#include "importers/docker_seccomp.h"
#include "seccomp/differential.h"
#include "support/paths.h"
#include "support/process.h"

using namespace sbx;
using namespace sbx::test;

namespace {

std::filesystem::path dockerProfilePath() {
  return sourceDir() / "examples/import/docker-default-seccomp.json";
}

// libseccomp's compilation of the profile, as runc loads it: the reference.
seccomp::Program libseccompOfProfile() {
  seccomp::Program program;
  std::string error;
  REQUIRE_MESSAGE(importers::libseccompOfDockerProfile(readText(dockerProfilePath()),
                                                       importers::dockerDefaultCapabilities(), 1, program, error),
                  error);
  return program;
}

model::ResolvedTask importDockerDefault(bool sixtyFourBitArguments) {
  REQUIRE(std::filesystem::exists(dockerProfilePath()));
  importers::DockerImportOptions options;
  options.fileName = "docker-default-seccomp.json";
  options.sixtyFourBitArguments = sixtyFourBitArguments;
  importers::DockerImport imported;
  std::string error;
  REQUIRE_MESSAGE(importers::importDockerSeccomp(readText(dockerProfilePath()), options, imported, error), error);
  frontend::Session session;
  auto loaded = session.loadText("docker.sbx", imported.sbx);
  INFO(imported.sbx);
  REQUIRE(loaded.model);
  REQUIRE(loaded.model->tasks.size() == 1);
  return loaded.model->tasks[0];
}

}  // namespace

TEST_CASE("import docker-seccomp --widths libseccomp: sbxc's filter equals libseccomp's of the profile") {
  auto task = importDockerDefault(true);
  seccomp::Program reference = libseccompOfProfile();
  // `baseline off` makes the tier irrelevant: the same decisions at T0 and at T4.
  for (int tier : {0, 4}) {
    CAPTURE(tier);
    auto spec = seccomp::buildSpec(task, seccomp::factsOf(task, tier));
    DiffReport r = differential(spec, 11, References::DefaultAndBinaryTree, &reference);
    INFO(r.first);
    CHECK(r.cases > 16000);
    CHECK(r.mismatches == 0);
  }
}

TEST_CASE("import docker-seccomp: with the kernel's widths, equal wherever the kernel can tell") {
  auto task = importDockerDefault(false);
  auto spec = seccomp::buildSpec(task, seccomp::factsOf(task, 1));
  DiffReport r = differential(spec, 12, References::DefaultAndBinaryTree);
  INFO(r.first);
  CHECK(r.mismatches == 0);

  // Against the profile itself: every argument the kernel reads as 32 bits arrives zero-extended.
  seccomp::Program reference = libseccompOfProfile();
  seccomp::Program mine;
  std::string error;
  REQUIRE_MESSAGE(seccomp::generateSbxc(spec, mine, error), error);
  std::mt19937_64 rng(5);
  std::size_t cases = 0, narrowed = 0;
  for (std::uint32_t nr = 0; nr < 1024; ++nr) {
    const auto* f = seccomp::findSyscall(spec.arches[0], nr);
    std::vector<seccomp::Args> probes =
        f != nullptr && !f->rules.empty() ? seccomp::probeArguments(*f, rng, 200) : std::vector<seccomp::Args>{{}};
    for (auto args : probes) {
      if (f != nullptr)
        for (const auto& rule : f->rules)
          for (const auto& c : rule.all)
            if (!c.wide) {
              args[c.arg] &= 0xffffffffull;
              ++narrowed;
            }
      seccomp::SeccompData d;
      d.arch = seccomp::kAuditArchX86_64;
      d.nr = nr;
      std::copy(args.begin(), args.end(), d.args);
      CAPTURE(nr);
      CHECK(seccomp::interpret(mine, d).action == seccomp::interpret(reference, d).action);
      ++cases;
    }
  }
  CHECK(cases > 1000);
  CHECK(narrowed > 100);  // socket and personality read an int: the comparisons were narrow
}

TEST_CASE("import docker-seccomp: what .sbx cannot state is reported") {
  importers::DockerImportOptions options;
  options.fileName = "p.json";
  importers::DockerImport out;
  std::string error;
  std::string profile = R"({"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64",
    "subArchitectures": ["SCMP_ARCH_X32"]}], "syscalls": [
    {"names": ["read", "chown32"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    {"names": ["kill"], "action": "SCMP_ACT_KILL"},
    {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}]})";
  REQUIRE_MESSAGE(importers::importDockerSeccomp(profile, options, out, error), error);
  std::string notes;
  for (const auto& n : out.notes) notes += n + "\n";
  INFO(notes);
  CHECK(notes.find("SCMP_ARCH_X32") != std::string::npos);
  CHECK(notes.find("CAP_SYS_ADMIN in the capability set: mount") != std::string::npos);
  CHECK(notes.find("kernel 4.8") != std::string::npos);
  CHECK(notes.find("chown32") != std::string::npos);
  CHECK(notes.find("kills one thread") != std::string::npos);
  CHECK(notes.find("compared more than once") != std::string::npos);
  CHECK(out.sbx.find("allow ioctl if arg1 == 1\n    allow ioctl if arg1 == 2\n") != std::string::npos);
  CHECK(out.sbx.find("mount") == std::string::npos);
  CHECK(out.sbx.find("allow ptrace") != std::string::npos);
  CHECK(out.sbx.find("default errno EPERM") != std::string::npos);
  frontend::Session session;
  CHECK(session.loadText("p.sbx", out.sbx).model);
}

TEST_CASE("import docker-seccomp: a broken profile gets a located diagnostic and no output") {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [,]\n}", "p.json:3:16: invalid JSON"},
      {R"({"defaultAction": "SCMP_ACT_NOPE"})", "p.json: /defaultAction: unknown action `SCMP_ACT_NOPE`"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "p.json: /syscalls/0/args/0/index: argument index 7"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]})",
       "p.json: /syscalls/0/args/0/op: unknown operator `SCMP_CMP_XX`"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]})",
       "p.json: /syscalls/0: the rule names no syscall"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}})", "p.json: /syscalls: expected an array"},
      {R"([1, 2])", "p.json: /: expected a seccomp profile object"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
          "errnoRet": -1}]})",
       "p.json: /syscalls/0/errnoRet: expected a non-negative integer"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    importers::DockerImportOptions options;
    options.fileName = "p.json";
    importers::DockerImport out;
    std::string error;
    CHECK_FALSE(importers::importDockerSeccomp(c.json, options, out, error));
    CHECK(error.find(c.message) == 0);
    CHECK(out.sbx.empty());
  }
}

// The other way: `sbxc compile --target docker-seccomp` writes a profile that libseccomp, loading
// it as runc does, compiles into a filter deciding every syscall as sbxc's own filter does.
TEST_CASE("export docker-seccomp: libseccomp's compilation of the exported profile equals sbxc's filter") {
  // Examples whose filters use the actions the reference handles (allow, errno).
  for (const char* example : {"contained.sbx", "egress-local.sbx", "token-demo.sbx"}) {
    CAPTURE(example);
    TempDir dir;
    Run r = sbxc({"compile", (sourceDir() / "examples" / example).string(), "--target", "docker-seccomp", "-o",
                  dir.path().string()});
    REQUIRE(r.exitCode == 0);
    frontend::Session session;
    auto loaded = session.load((sourceDir() / "examples" / example).string());
    REQUIRE(loaded.model);
    auto report = classifier::classify(*loaded.model, {classifier::todayUtc()});
    for (std::size_t i = 0; i < loaded.model->tasks.size(); ++i) {
      const auto& task = loaded.model->tasks[i];
      if (!task.root) continue;
      CAPTURE(task.name);
      seccomp::Program exported;
      std::string error;
      REQUIRE_MESSAGE(importers::libseccompOfDockerProfile(readText(dir.path() / task.name / "seccomp.json"), {}, 1,
                                                           exported, error),
                      error);
      auto spec = seccomp::buildSpec(task, seccomp::factsOf(task, report.of(i).tier));
      DiffReport d = differential(spec, 13, References::None, &exported);
      INFO(d.first);
      CHECK(d.cases > 16000);
      CHECK(d.mismatches == 0);
    }
  }
}
