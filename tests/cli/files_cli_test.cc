// What sbxc reads and writes, attacked: an import that is a FIFO, a symlinked task directory
// under -o, temporaries at predictable names, fmt over a file of another mode and owner, and a
// symlinked policy. util/atomic_file.h says how directories are resolved.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

const char* kTask = R"(task demo {
  read "/usr"
  write workspace
  timeout 30s
}
)";

const char* kMessy = "task   demo{read \"/usr\"\nwrite workspace\n  timeout 30s}\n";

// sbxc under a timeout: a read that blocks ends as a kill (exit -1), not as a hung test.
Run boundedSbxc(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/timeout", "--signal=KILL", "20", SBXC_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, "", "", {"NO_COLOR=1", "PATH=/usr/bin:/bin"});
}

}  // namespace

TEST_CASE("an import that is a FIFO is refused at the import, without blocking") {
  TempDir dir;
  writeText(dir.path() / "main.sbx", "import \"lib.sbx\"\n" + std::string(kTask));
  REQUIRE(mkfifo((dir.path() / "lib.sbx").c_str(), 0644) == 0);
  for (std::string command : {"check", "compile"}) {
    CAPTURE(command);
    std::vector<std::string> args{command, (dir.path() / "main.sbx").string()};
    if (command == "compile") args.insert(args.end(), {"-o", (dir.path() / "out").string()});
    Run r = boundedSbxc(args);
    INFO(r.out << r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err.find("main.sbx:1:8: error[SBX0021]: cannot read imported file") != std::string::npos);
    CHECK(r.err.find("lib.sbx`: is not a regular file") != std::string::npos);
  }
  CHECK(!fs::exists(dir.path() / "out"));
  // The policy itself, and fmt's and import's inputs, likewise.
  REQUIRE(mkfifo((dir.path() / "fifo.sbx").c_str(), 0644) == 0);
  Run root = boundedSbxc({"check", (dir.path() / "fifo.sbx").string()});
  CHECK(root.exitCode == 3);
  CHECK(root.err.find("fifo.sbx`: is not a regular file") != std::string::npos);
  Run fmt = boundedSbxc({"fmt", (dir.path() / "fifo.sbx").string()});
  CHECK(fmt.exitCode == 3);
  CHECK(fmt.err.find("is not a regular file") != std::string::npos);
  Run imported = boundedSbxc({"import", "docker-seccomp", (dir.path() / "fifo.sbx").string()});
  CHECK(imported.exitCode == 3);
  CHECK(imported.err.find("is not a regular file") != std::string::npos);
}

TEST_CASE("compile refuses a symlinked output or task directory, and writes nothing through it") {
  TempDir dir;
  writeText(dir.path() / "p.sbx", kTask);
  fs::create_directories(dir.path() / "elsewhere");
  fs::create_directories(dir.path() / "out");
  fs::create_directory_symlink(dir.path() / "elsewhere", dir.path() / "out/demo");
  Run r = sbxc({"compile", (dir.path() / "p.sbx").string(), "-o", (dir.path() / "out").string()});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 3);
  CHECK(r.err.find("out/demo`: is a symbolic link") != std::string::npos);
  CHECK(fs::is_empty(dir.path() / "elsewhere"));
  // The output directory itself.
  fs::create_directory_symlink(dir.path() / "elsewhere", dir.path() / "linked");
  Run linked = sbxc({"compile", (dir.path() / "p.sbx").string(), "-o", (dir.path() / "linked").string()});
  CHECK(linked.exitCode == 3);
  CHECK(linked.err.find("linked`: is a symbolic link") != std::string::npos);
  CHECK(fs::is_empty(dir.path() / "elsewhere"));
  // A plain directory is written as before.
  CHECK(sbxc({"compile", (dir.path() / "p.sbx").string(), "-o", (dir.path() / "plain").string()}).exitCode == 0);
  CHECK(fs::exists(dir.path() / "plain/demo/plan.json"));
}

TEST_CASE("sbxc's temporaries: unpredictable, created exclusively, never a planted link") {
  TempDir dir;
  fs::path victim = dir.path() / "victim";
  writeText(victim, "untouched\n");
  fs::path policy = dir.path() / "a.sbx";
  writeText(policy, kMessy);
  // The old temporary names (NAME.tmp.PID) for every pid sbxc may get next: links to the victim.
  pid_t next = getpid();
  for (pid_t pid = next; pid < next + 400; ++pid) {
    fs::create_symlink(victim, dir.path() / ("a.sbx.tmp." + std::to_string(pid)));
    fs::create_symlink(victim, dir.path() / ("out.sbx.tmp." + std::to_string(pid)));
  }
  REQUIRE(sbxc({"fmt", policy.string()}).exitCode == 0);
  writeText(dir.path() / "profile.json",
            R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})");
  Run imported = sbxc(
      {"import", "docker-seccomp", "-o", (dir.path() / "out.sbx").string(), (dir.path() / "profile.json").string()});
  INFO(imported.err);
  CHECK(imported.exitCode == 0);
  CHECK(readText(victim) == "untouched\n");
  CHECK(readText(policy).starts_with("task demo {\n"));
  // No temporary is left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path()))
    entries += e.path().filename().string().find(".sbxc-") == std::string::npos;
  CHECK(entries == 4 + 800);  // victim, a.sbx, profile.json, out.sbx and the links
}

TEST_CASE("fmt keeps the file's mode, owner and group, and refuses a symlinked policy") {
  TempDir dir;
  fs::path policy = dir.path() / "a.sbx";
  writeText(policy, kMessy);
  REQUIRE(chmod(policy.c_str(), 0600) == 0);
  bool root = geteuid() == 0;
  if (root) REQUIRE(chown(policy.c_str(), 1234, 5678) == 0);
  REQUIRE(sbxc({"fmt", policy.string()}).exitCode == 0);
  struct stat st {};
  REQUIRE(stat(policy.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  if (root) {
    CHECK(st.st_uid == 1234u);
    CHECK(st.st_gid == 5678u);
  }
  CHECK(readText(policy).starts_with("task demo {\n"));

  fs::path target = dir.path() / "target.sbx", link = dir.path() / "link.sbx";
  writeText(target, kMessy);
  fs::create_symlink(target, link);
  Run r = sbxc({"fmt", link.string()});
  CHECK(r.exitCode == 3);
  CHECK(r.err.find("link.sbx`: is a symbolic link") != std::string::npos);
  CHECK(fs::is_symlink(link));
  CHECK(readText(target) == kMessy);
  // --check only reads: it follows the link.
  CHECK(sbxc({"fmt", "--check", link.string()}).exitCode == 1);
}

TEST_CASE("a chain of 20,000 imports stops at 64 files with nesting-too-deep, not a stack overflow") {
  TempDir dir;
  const int length = 20000;
  for (int i = 1; i < length; ++i)
    writeText(dir.path() / ("m" + std::to_string(i) + ".sbx"),
              "import \"m" + std::to_string(i + 1) + ".sbx\" as next\ngroup g { read }\n");
  writeText(dir.path() / ("m" + std::to_string(length) + ".sbx"), "group g { read }\n");
  writeText(dir.path() / "root.sbx",
            "import \"m1.sbx\" as first\ntask t {\n  syscalls {\n    allow @first.g\n  }\n}\n");
  Run r = boundedSbxc({"check", (dir.path() / "root.sbx").string()});
  INFO(r.err);
  CHECK(r.exitCode == 2);
  CHECK(r.err.find("error[SBX0059]: imports nest more than 64 files deep here, at `") != std::string::npos);
  CHECK(r.err.find("1 error emitted") != std::string::npos);
}
