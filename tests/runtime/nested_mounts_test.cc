// Issue 16, point 1: any grant may lie inside any other. Every pair of (read, write, exec, mask,
// scratch) x (file, directory, symbolic link) inside a directory granted read and inside one
// granted write, declared before and after the parent, three levels deep too, on a fixture tree
// under /var/tmp; inside the sandbox each path is checked for what it was granted (readable,
// writable, executable, masked empty, scratch empty and writable). Under sbx-run (also with a
// plan.json whose mounts are listed children first: sbx-run orders them itself), the bubblewrap
// export and the OCI export under runc; an exported runtime missing here is a counted skip. A
// scratch over a file or a link, and a mask of a link, are refused everywhere. And the example
// tasks that nested grants used to stop now start.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/mount_tree.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

const char* const kGrants[] = {"read", "write", "exec", "mask", "scratch"};
const char* const kKinds[] = {"file", "dir", "link"};

// What no sandbox can give, refused rather than half-done: a scratch tmpfs needs a directory, and
// a mask of a link would hide the link, not what it names.
bool refused(const std::string& grant, const std::string& kind) {
  return (grant == "scratch" && kind != "dir") || (grant == "mask" && kind == "link");
}

struct Fixture;
std::string probeScript(const Fixture& f);

// The tree the grants name, outside /tmp (sbx-run stages the new root over it), owned by nobody:
// the payload (never root) must be able to write what a write grant gives it.
struct Fixture {
  fs::path root;
  Fixture() {
    char name[] = "/var/tmp/sbx-nested-XXXXXX";
    if (!mkdtemp(name)) FAIL("mkdtemp");
    root = name;
    fs::permissions(root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  fs::path parent() const { return root / "parent"; }
  fs::path probe() const { return root / "probe.sh"; }  // the script run inside (probeScript)
  fs::path child(const std::string& grant, const std::string& kind) const {
    return parent() / "sub" / (grant + "_" + kind);
  }

  // parent/plain (a script), parent/sub/<grant>_<kind>: a script, a directory holding a script
  // and a file, or a link to a script beside it; parent/nest/inner/ro.
  void build() const {
    std::error_code ec;
    fs::remove_all(parent(), ec);
    fs::create_directories(parent() / "sub");
    script(parent() / "plain");
    for (const char* grant : kGrants) {
      script(child(grant, "file"));
      fs::create_directory(child(grant, "dir"));
      script(child(grant, "dir") / "tool");
      writeText(child(grant, "dir") / "host.txt", "host\n");
      script(fs::path(child(grant, "link").string() + ".target"));
      fs::create_symlink(std::string(grant) + "_link.target", child(grant, "link"));
    }
    writeText(probe(), probeScript(*this));
    fs::create_directories(parent() / "nest/inner");
    script(parent() / "nest/inner/ro");
    if (lchown(parent().c_str(), 65534, 65534) != 0) FAIL("lchown " << parent());
    for (const auto& entry : fs::recursive_directory_iterator(parent()))
      if (lchown(entry.path().c_str(), 65534, 65534) != 0) FAIL("lchown " << entry.path());
  }

  static void script(const fs::path& path) {
    writeText(path, "#!/bin/sh\necho ran\n");
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
};

// One grant line of the policy language.
std::string grantLine(const std::string& grant, const fs::path& path) {
  if (grant == "scratch") return fmt::format("  scratch \"{}\" size 1MiB\n", path.string());
  return fmt::format("  {} \"{}\"\n", grant, path.string());
}

// A task with the system's programs read-only, the parent granted `parentGrant`, and `children`
// (grant, path) declared after it or, with `childrenFirst`, before it.
std::string policyText(const Fixture& f, const std::string& parentGrant,
                       const std::vector<std::pair<std::string, fs::path>>& children, bool childrenFirst) {
  std::string kids;
  for (const auto& [grant, path] : children) kids += grantLine(grant, path);
  std::string parent = grantLine(parentGrant, f.parent());
  return fmt::format(R"(import std.programs
task nested {{
  use programs.shell
  read "/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "{}"
  timeout 20s
{}{}}}
)",
                     f.probe().string(), childrenFirst ? kids : parent, childrenFirst ? parent : kids);
}

// Every grant and kind inside the parent that a sandbox can give, and the three-level chain:
// write parent/nest, exec parent/nest/inner/ro (the parent being granted read or write).
std::vector<std::pair<std::string, fs::path>> startableChildren(const Fixture& f) {
  std::vector<std::pair<std::string, fs::path>> children;
  for (const char* grant : kGrants)
    for (const char* kind : kKinds)
      if (!refused(grant, kind)) children.emplace_back(grant, f.child(grant, kind));
  children.emplace_back("write", f.parent() / "nest");
  children.emplace_back("exec", f.parent() / "nest/inner/ro");
  return children;
}

// The shell script run inside: one line per path, `NAME e=.. r=. w=. x=.`: entries seen in a
// directory or bytes in a file (0, or + for some), then readable, writable, executable (Y/N).
// Links also print their text.
std::string probeScript(const Fixture& f) {
  std::string s = R"sh(probe() {
  p=$2
  if [ -d "$p" ]; then
    e=$(ls -A "$p" 2>/dev/null | wc -l); r=N; ls "$p" >/dev/null 2>&1 && r=Y
    w=N; (: > "$p/new.$$") 2>/dev/null && w=Y
    x=N; [ "$("$p/tool" 2>/dev/null)" = ran ] && x=Y
  else
    e=$(wc -c < "$p" 2>/dev/null); r=N; cat "$p" >/dev/null 2>&1 && r=Y
    w=N; (echo "#" >> "$p") 2>/dev/null && w=Y
    x=N; [ "$("$p" 2>/dev/null)" = ran ] && x=Y
  fi
  [ "${e:-0}" -eq 0 ] && e=0 || e=+
  l=; [ -L "$p" ] && l=" l=$(readlink "$p")"
  echo "$1 e=$e r=$r w=$w x=$x$l"
}
)sh";
  s += fmt::format("probe parent/plain {}\n", (f.parent() / "plain").string());
  for (const char* grant : kGrants)
    for (const char* kind : kKinds)
      if (!refused(grant, kind)) s += fmt::format("probe {}_{} {}\n", grant, kind, f.child(grant, kind).string());
  s += fmt::format("probe nest {}\n", (f.parent() / "nest").string());
  s += fmt::format("probe nest/inner/ro {}\n", (f.parent() / "nest/inner/ro").string());
  return s;
}

enum class Runtime { SbxRun, Bwrap, Runc };

// The line probe() prints for the child `grant`_`kind` inside a parent granted `parent`. A link is
// the host's link, shown by the parent: sbx-run gives what the parent gives its target (a link is
// never followed to grant what it names); bwrap and runc follow it and bind its target with the
// link's own grant. A masked directory is an empty tmpfs: mode 0000 under sbx-run, listable
// elsewhere.
std::string expectedLine(Runtime runtime, const std::string& parent, const std::string& grant,
                         const std::string& kind) {
  auto access = [](const std::string& g) {
    if (g == "write") return std::string("r=Y w=Y x=N");
    return std::string("r=Y w=N x=Y");  // read and exec: read-only binds keep exec
  };
  std::string name = grant + "_" + kind + " ";
  if (kind == "link")
    return name + "e=+ " + access(runtime == Runtime::SbxRun ? parent : grant) + " l=" + grant + "_link.target";
  // /dev/null over a file: under sbx-run writable where the parent is (Landlock allows it), the
  // writes lost; bwrap binds it nodev, so it cannot even be opened.
  if (grant == "mask" && kind == "file" && runtime == Runtime::Bwrap) return name + "e=0 r=N w=N x=N";
  // runc binds /dev/null with its device usable: writable, the writes lost.
  if (grant == "mask" && kind == "file" && runtime == Runtime::Runc) return name + "e=0 r=Y w=Y x=N";
  if (grant == "mask" && kind == "file") return name + (parent == "write" ? "e=0 r=Y w=Y x=N" : "e=0 r=Y w=N x=N");
  if (grant == "mask") return name + (runtime == Runtime::SbxRun ? "e=0 r=N w=N x=N" : "e=0 r=Y w=N x=N");
  // Known loss (runc 1.1): a tmpfs over a directory that exists takes that directory's mode
  // (0755, root's inside), not mode=1777, so the payload cannot write its scratch.
  if (grant == "scratch" && runtime == Runtime::Runc) return name + "e=0 r=Y w=N x=N";
  if (grant == "scratch") return name + "e=0 r=Y w=Y x=N";
  return name + "e=+ " + access(grant);
}

std::string expectedOutput(Runtime runtime, const std::string& parent) {
  std::string out = fmt::format("parent/plain e=+ {}\n", parent == "write" ? "r=Y w=Y x=N" : "r=Y w=N x=Y");
  for (const char* grant : kGrants)
    for (const char* kind : kKinds)
      if (!refused(grant, kind)) out += expectedLine(runtime, parent, grant, kind) + "\n";
  return out + "nest e=+ r=Y w=Y x=N\nnest/inner/ro e=+ r=Y w=N x=Y\n";
}

std::string runtimeName(Runtime runtime) {
  return runtime == Runtime::SbxRun ? "sbx-run" : runtime == Runtime::Bwrap ? "bwrap" : "runc";
}

// Starts `command` (a shell script) in the sandbox of `policy`'s task under `runtime`, bounded by
// a timeout; `planEdit` (sbx-run only): a Python statement run on the compiled plan.json (`plan`)
// before sbx-run reads it.
Run startIn(Runtime runtime, const fs::path& policy, const fs::path& work, const std::string& command,
            const std::string& planEdit = "") {
  std::vector<std::string> argv = {"/usr/bin/timeout", "-s", "KILL", "60"};
  std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", std::string("SBXC=") + SBXC_BINARY,
                                  "SBX_RUN_CACHE=" + (work / "cache").string()};
  fs::create_directories(work / "cache");
  if (runtime == Runtime::SbxRun && planEdit.empty()) {
    argv.insert(argv.end(), {SBX_RUN_BINARY, policy.string(), "--", "/bin/sh", "-c", command});
    return run(argv, "", work.string(), env);
  }
  std::string target = runtime == Runtime::SbxRun ? "sbx" : runtime == Runtime::Bwrap ? "bwrap" : "oci";
  fs::path out = work / target;
  fs::remove_all(out);
  Run compiled = sbxc({"compile", policy.string(), "--target", target, "--allow-lossy", "-o", out.string()});
  if (compiled.exitCode != 0) return compiled;
  fs::path task = out / "nested";
  if (runtime == Runtime::SbxRun) {
    Run edited = run({"/usr/bin/python3", "-c",
                      "import json, sys\nf = sys.argv[1]\nplan = json.load(open(f))\n" + planEdit +
                          "\njson.dump(plan, open(f, 'w'), indent=2)\n",
                      (task / "plan.json").string()});
    if (edited.exitCode != 0) return edited;
    argv.insert(argv.end(), {SBX_RUN_BINARY, task.string(), "--", "/bin/sh", "-c", command});
  } else {
    argv.insert(argv.end(), {(task / "run.sh").string(), "--", "/bin/sh", "-c", command});
  }
  return run(argv, "", work.string(), env);
}

// Whether `runtime` can run here; when not, a message saying so (counted: a skip, not a pass).
bool available(Runtime runtime) {
  if (runtime == Runtime::SbxRun) return true;
  const char* tool = runtime == Runtime::Bwrap ? "bwrap" : "runc";
  bool present = run({"/bin/sh", "-c", fmt::format("command -v {}", tool)}).exitCode == 0;
  if (!present || geteuid() != 0) {
    MESSAGE("SKIPPED: nested mounts under " << tool << (present ? " (the export runs as root)" : " (not installed)"));
    return false;
  }
  return true;
}

// The startable pairs, inside a parent granted `parent`, in both orders of declaration.
void checkStartable(Runtime runtime, const std::string& parent) {
  Fixture f;
  for (bool childrenFirst : {false, true}) {
    CAPTURE(childrenFirst);
    f.build();
    fs::path policy = f.root / "nested.sbx";
    writeText(policy, policyText(f, parent, startableChildren(f), childrenFirst));
    Run r = startIn(runtime, policy, f.root, ". " + f.probe().string());
    INFO(runtimeName(runtime) << ", parent " << parent << ": exit " << r.exitCode << "\n" << r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == expectedOutput(runtime, parent));
    CHECK(readText(f.child("mask", "file")) == "#!/bin/sh\necho ran\n");  // the mask's writes were lost
  }
}

// The pairs no sandbox can give: refused before the command runs, the path named (sbx-run).
void checkRefused(Runtime runtime, const std::string& parent) {
  Fixture f;
  for (const char* grant : kGrants)
    for (const char* kind : kKinds) {
      if (!refused(grant, kind)) continue;
      // Known loss: runc follows a masked link and masks what it names; it does not refuse.
      if (runtime == Runtime::Runc && std::string(grant) == "mask") continue;
      f.build();
      fs::path policy = f.root / "refused.sbx";
      writeText(policy, policyText(f, parent, {{grant, f.child(grant, kind)}}, false));
      Run r = startIn(runtime, policy, f.root, "echo started");
      INFO(runtimeName(runtime) << ", parent " << parent << ", " << std::string(grant) << " " << std::string(kind)
                                << ": exit " << r.exitCode << "\n"
                                << r.out << r.err);
      CHECK(r.exitCode != 0);
      CHECK(r.out.find("started") == std::string::npos);
      if (runtime == Runtime::SbxRun) CHECK(r.err.find(f.child(grant, kind).string()) != std::string::npos);
      if (runtime == Runtime::SbxRun && std::string(kind) == "file")
        CHECK(r.err.find("a scratch tmpfs needs a directory") != std::string::npos);
    }
}

}  // namespace

TEST_CASE("nested grants: every grant and kind inside a read or a written directory, under sbx-run") {
  for (std::string parent : {"read", "write"}) {
    checkStartable(Runtime::SbxRun, parent);
    checkRefused(Runtime::SbxRun, parent);
  }
}

TEST_CASE("nested grants: sbx-run orders a plan whose mounts are listed children first") {
  for (std::string parent : {"read", "write"}) {
    Fixture f;
    f.build();
    fs::path policy = f.root / "nested.sbx";
    writeText(policy, policyText(f, parent, startableChildren(f), false));
    Run r = startIn(Runtime::SbxRun, policy, f.root, ". " + f.probe().string(), "plan['mounts'].reverse()");
    INFO("parent " << parent << ": exit " << r.exitCode << "\n" << r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == expectedOutput(Runtime::SbxRun, parent));
  }
}

TEST_CASE("nested grants: a missing mount point inside a read-only host bind is refused, naming it and the fix") {
  Fixture f;
  f.build();
  fs::path policy = f.root / "missing.sbx";
  // The scratch path does not exist in the host directory the parent's bind shows.
  writeText(policy, policyText(f, "read", {{"scratch", f.parent() / "absent/deeper"}}, false));
  Run r = startIn(Runtime::SbxRun, policy, f.root, "echo started");
  INFO(r.out << r.err);
  CHECK(r.exitCode == 125);
  CHECK(r.err.find(fmt::format("{} does not exist inside the bind of {}", (f.parent() / "absent").string(),
                               f.parent().string())) != std::string::npos);
  CHECK(r.err.find("create " + (f.parent() / "absent").string() + " on the host") != std::string::npos);
  CHECK_FALSE(fs::exists(f.parent() / "absent"));
}

TEST_CASE("nested grants: under the bubblewrap export") {
  if (!available(Runtime::Bwrap)) return;
  for (std::string parent : {"read", "write"}) {
    checkStartable(Runtime::Bwrap, parent);
    checkRefused(Runtime::Bwrap, parent);
  }
}

TEST_CASE("nested grants: under the OCI export (runc)") {
  if (!available(Runtime::Runc)) return;
  for (std::string parent : {"read", "write"}) {
    checkStartable(Runtime::Runc, parent);
    checkRefused(Runtime::Runc, parent);
  }
}

// The example tasks a read of /usr with an exec or a link inside it used to stop (`symlink
// /usr/bin/python3: File exists`) start. email-assistant's and code-review-bot's tasks also name
// programs this machine lacks (/usr/local/bin/mailctl-file, /usr/bin/ruff, gh): issue 16, point 2.
TEST_CASE("nested grants: the examples' tasks with nested grants start under sbx-run") {
  const std::pair<const char*, const char*> tasks[] = {
      {"ticket-triage", "ticket_digest"},         {"multi-agent-pipeline", "compile_brief"},
      {"multi-agent-pipeline", "file_followups"}, {"multi-agent-pipeline", "gather_sources"},
      {"multi-agent-pipeline", "publish_brief"},  {"deploy-operator", "canary_analysis"},
  };
  TempDir scratch;
  fs::create_directories(scratch.path() / "ws");
  for (const auto& [example, task] : tasks) {
    fs::path policy = sourceDir() / "examples" / (std::string(example) + ".sbx");
    Run r = run({"/usr/bin/timeout", "-s", "KILL", "60", SBX_RUN_BINARY, "--workspace",
                 (scratch.path() / "ws").string(), "--task", task, policy.string(), "--", "/bin/true"},
                "", scratch.path().string(),
                {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", std::string("SBXC=") + SBXC_BINARY,
                 "SBX_RUN_CACHE=" + (scratch.path() / "cache").string()});
    INFO(std::string(example) << " " << std::string(task) << ": exit " << r.exitCode << "\n" << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.err.find("sbx-run:") == std::string::npos);
  }
}

TEST_CASE("nested grants: the placement order and each mount's cover") {
  using sbx::run::PlannedMount;
  auto planned = [](std::string type, std::string target, bool readOnly = true) {
    PlannedMount m;
    m.type = std::move(type);
    m.target = std::move(target);
    m.readOnly = readOnly;
    return m;
  };
  std::vector<PlannedMount> mounts = {
      planned("tool-gates", "/run/sbx"),         planned("bind", "/usr/bin/git"),
      planned("mask", "/usr/bin/secret"),        planned("bind", "/usr"),
      planned("workspace", "/workspace", false), planned("tmpfs", "/workspace/build/tmp", false),
      planned("symlink", "/usr/bin/python3"),    planned("bind", "/usr/bin/python3.11"),
  };
  auto order = sbx::run::placementOrder(mounts);
  std::vector<std::string> targets;
  for (auto i : order) targets.push_back(mounts[i].target);
  CHECK(targets == std::vector<std::string>{"/usr", "/usr/bin/git", "/usr/bin/python3", "/usr/bin/python3.11",
                                            "/usr/bin/secret", "/workspace", "/workspace/build/tmp", "/run/sbx"});
  auto coverOf = [&](const std::string& target) -> std::string {
    for (std::size_t p = 0; p < order.size(); ++p)
      if (mounts[order[p]].target == target) {
        const PlannedMount* c = sbx::run::coveringMount(mounts, order, p);
        return c ? c->target : "";
      }
    return "?";
  };
  CHECK(coverOf("/usr") == "");
  CHECK(coverOf("/usr/bin/git") == "/usr");
  CHECK(coverOf("/usr/bin/python3.11") == "/usr");  // a link covers nothing
  CHECK(coverOf("/workspace/build/tmp") == "/workspace");
  CHECK(sbx::run::hostBindHolding(&mounts[3]) == "/usr");  // read-only host bind: nothing created
  CHECK(sbx::run::hostBindHolding(&mounts[4]).empty());    // the writable workspace: created, the payload's
  CHECK(sbx::run::hostBindHolding(&mounts[5]).empty());    // a scratch tmpfs: sbx-run's own
  CHECK(sbx::run::coverHasSameFlags(mounts[1], &mounts[3]));
  CHECK_FALSE(sbx::run::coverHasSameFlags(mounts[4], &mounts[3]));  // writable inside read-only
}
