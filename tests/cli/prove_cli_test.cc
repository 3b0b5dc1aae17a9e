// `sbxc prove` (issue 19, point 2): implies, equivalent and no-lethal-path, each with its exit
// code, a concrete counterexample when the property fails, and invalid input refused with where.
#include <doctest/doctest.h>

#include "support/paths.h"
#include "support/process.h"

using namespace sbx::test;

namespace {

std::string task(const std::string& body, const std::string& name = "t") {
  return "import std.syscalls\n\ntask " + name +
         " {\n  read \"/usr\"\n  write workspace\n  syscalls {\n    default errno EPERM\n    allow "
         "@syscalls.default\n" +
         "  }\n" + body + "}\n";
}

struct Files {
  TempDir dir;
  std::string put(const std::string& name, const std::string& text) {
    writeText(dir.path() / name, text);
    return (dir.path() / name).string();
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("prove implies: a narrower policy implies a wider one, and the wider is refuted by a concrete destination") {
  Files f;
  auto exact = f.put("exact.sbx", task("  connect \"api.example.com:443\"\n"));
  auto wild = f.put("wild.sbx", task("  connect \"*.example.com:443\"\n"));
  Run ok = sbxc({"prove", "implies", exact, wild});
  INFO(ok.out << ok.err);
  CHECK(ok.exitCode == 0);
  CHECK(ok.out.starts_with("proved: `" + exact + "` grants nothing that `" + wild + "` does not"));
  Run no = sbxc({"prove", "implies", wild, exact});
  INFO(no.out << no.err);
  CHECK(no.exitCode == 1);
  CHECK(has(no.out, "  egress: sbx-prove-unlisted.example.com:443 (tcp)\n"));
  CHECK(has(no.out, "allowed by `*.example.com:443`"));
  CHECK(has(no.out, "refused (no rule matches it)"));
}

TEST_CASE("prove implies: ports and networks are cut at the rules' bounds") {
  Files f;
  auto narrow = f.put("a.sbx", task("  connect \"10.1.0.0/16:8000-8080\"\n"));
  auto wide = f.put("b.sbx", task("  connect \"10.0.0.0/8:8000-8081\"\n"));
  CHECK(sbxc({"prove", "implies", narrow, wide}).exitCode == 0);
  Run r = sbxc({"prove", "implies", wide, narrow});
  INFO(r.out);
  CHECK(r.exitCode == 1);
  CHECK(has(r.out, "  egress: 10.0.0.0:8000 (tcp)\n"));
}

TEST_CASE("prove implies: a path writable in one and read-only (but executable) in the other") {
  Files f;
  auto readOnly = f.put("ro.sbx", task("  read \"/data\"\n"));
  auto writable = f.put("rw.sbx", task("  write \"/data\"\n"));
  Run exec = sbxc({"prove", "implies", readOnly, writable});  // a writable grant is noexec
  CHECK(exec.exitCode == 1);
  CHECK(has(exec.out, "  path: exec /data\n"));
  CHECK(has(exec.out, "refused (mount at /data, writable, noexec)"));
  Run r = sbxc({"prove", "implies", writable, readOnly});
  INFO(r.out);
  CHECK(r.exitCode == 1);
  CHECK(has(r.out, "  path: write /data\n"));
  CHECK(has(r.out, "refused (mount at /data, read-only"));
}

TEST_CASE("prove implies: syscall filters that differ in one argument value give that call") {
  Files f;
  auto unix = f.put("unix.sbx", task("  syscalls {\n    allow flock if arg1 == 1\n  }\n"));
  auto inet = f.put("inet.sbx", task("  syscalls {\n    allow flock if arg1 == 2\n  }\n"));
  Run r = sbxc({"prove", "implies", unix, inet});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  CHECK(has(r.out, "  syscall: flock(0x0, 0x1, 0x0, 0x0, 0x0, 0x0) on x86_64\n"));
  CHECK(has(r.out, "    " + unix + ": allow\n    " + inet + ": errno 1\n"));
  Run back = sbxc({"prove", "implies", inet, unix});
  CHECK(back.exitCode == 1);
  CHECK(has(back.out, "  syscall: flock(0x0, 0x2, 0x0, 0x0, 0x0, 0x0) on x86_64\n"));
}

TEST_CASE("prove equivalent: the same task proved both ways, and a difference in either direction refutes it") {
  Files f;
  auto a = f.put("a.sbx", task("  connect \"api.example.com:443\"\n"));
  auto b = f.put("b.sbx", task("  connect   \"api.example.com:443\"   # the same, spelled apart\n"));
  auto c = f.put("c.sbx", task(""));
  Run same = sbxc({"prove", "equivalent", a, b});
  INFO(same.out << same.err);
  CHECK(same.exitCode == 0);
  CHECK(has(same.out, "proved: `" + b + "` grants nothing that `" + a + "` does not"));
  Run r = sbxc({"prove", "equivalent", c, a});  // c grants less: refuted by a's destination
  CHECK(r.exitCode == 1);
  CHECK(has(r.out, "counterexample: `" + a + "` grants what `" + c + "` does not"));
  CHECK(has(r.out, "api.example.com:443 (tcp)"));
}

TEST_CASE("prove: FILE:TASK picks a task, a file of several tasks needs it, invalid input exits 2 with where") {
  Files f;
  auto two = f.put(
      "two.sbx",
      task("", "one") + "\n" +
          task("  connect \"api.example.com:443\"\n", "other").substr(std::string("import std.syscalls\n\n").size()));
  CHECK(sbxc({"prove", "implies", two + ":one", two + ":other"}).exitCode == 0);
  CHECK(sbxc({"prove", "implies", two + ":other", two + ":one"}).exitCode == 1);
  Run which = sbxc({"prove", "implies", two, two + ":one"});
  CHECK(which.exitCode == 2);
  CHECK(has(which.err, "declares 2 tasks (one, other): name one as `" + two + ":TASK`"));
  Run typo = sbxc({"prove", "implies", two + ":onr", two + ":one"});
  CHECK(typo.exitCode == 2);
  CHECK(has(typo.err, "declares no task `onr`: did you mean `one`?"));
  auto bad = f.put("bad.sbx", "task t {\n  timeout 10\n}\n");
  Run invalid = sbxc({"prove", "equivalent", bad, two + ":one"});
  CHECK(invalid.exitCode == 2);
  CHECK(has(invalid.err, "bad.sbx:2:11: error[SBX0010]"));
  CHECK(sbxc({"prove", "implies", (f.dir.path() / "missing.sbx").string(), bad}).exitCode == 3);
  Run property = sbxc({"prove", "implise", bad, bad});
  CHECK(property.exitCode == 3);
  CHECK(has(property.err, "did you mean `implies`?"));
  CHECK(sbxc({"prove", "implies", bad}).exitCode == 3);
}

TEST_CASE("prove: tools, actions without approval and token scopes count as authority") {
  Files f;
  std::string tool =
      "  tool deploy {\n    exec \"/usr/bin/deploy\"\n    action release effect deploy reversible approval\n  }\n";
  std::string unapproved =
      "  tool deploy {\n    exec \"/usr/bin/deploy\"\n    action release effect deploy reversible\n  }\n";
  auto none = f.put("none.sbx", task(""));
  auto gated = f.put("gated.sbx", task(tool));
  auto open = f.put("open.sbx", task(unapproved));
  Run r = sbxc({"prove", "implies", gated, none});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  CHECK(has(r.out, "  tool: tool `deploy`\n"));
  Run a = sbxc({"prove", "implies", open, gated});
  INFO(a.out << a.err);
  CHECK(a.exitCode == 1);
  CHECK(has(a.out, "  action: action `deploy.release` without approval\n"));
  CHECK(sbxc({"prove", "implies", gated, open}).exitCode == 0);
}

TEST_CASE("prove no-lethal-path: holds for a contained task, and the offending path is the counterexample") {
  Run ok = sbxc({"prove", "no-lethal-path", (sourceDir() / "examples" / "contained.sbx").string()});
  INFO(ok.out << ok.err);
  CHECK(ok.exitCode == 0);
  CHECK(ok.out.starts_with("proved: no path from an untrusted input to an egress while a secret is held"));
  Run r = sbxc({"prove", "no-lethal-path",
                (sourceDir() / "tests" / "classifier" / "scenarios" / "t4-lethal-wildcard.sbx").string()});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  CHECK(has(r.out, "    untrusted: input inbox (untrusted, internal) -> task digest\n"));
  CHECK(has(r.out, "    private:   input accounts (trusted, confidential) -> task digest\n"));
  CHECK(has(r.out, "    outbound:  task digest -> connect *.cdn.example:443\n"));
  Files f;
  CHECK(sbxc({"prove", "no-lethal-path", f.put("bad.sbx", "task t {\n  timeout 10\n}\n")}).exitCode == 2);
}
