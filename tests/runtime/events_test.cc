// `sbx-run --events FILE|-` (issue 18, point 5) against the real launcher: a run's decisions as
// they happen (egress allowed and refused through the proxy to loopback servers, a denied system
// call, the exit), the very records of the audit log; an unsafe FILE refused before anything runs;
// a reader that never reads costs the run lines, counted, never its time.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/http_server.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

constexpr const char* kPolicy = R"(import std.programs
task events {
  use programs.curl
  use programs.python3
  write workspace
  timeout 30s
  connect "127.0.0.1:38180"
  syscalls { default errno EPERM }
  limits { memory 512MiB  pids 64 }
}
)";

// Allowed and refused egress, then a denied system call, then exit 3.
constexpr const char* kScript =
    "curl -s http://127.0.0.1:38180/; echo; curl -s -o /dev/null -w 'refused %{http_code}\\n' "
    "http://127.0.0.1:38181/; python3 -c 'import os\ntry: os.chroot(\"/tmp\")\nexcept OSError as e: print(e.errno)'; "
    "exit 3";

struct Scratch {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", policy = dir.path() / "events.sbx", audit = dir.path() / "audit.jsonl",
           events = dir.path() / "events.jsonl";
  Scratch() {
    fs::create_directories(workspace);
    writeText(policy, kPolicy);
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown");
  }
  std::vector<std::string> argv(const std::string& eventsTo, const std::string& script) const {
    return {SBX_RUN_BINARY,  "--workspace", workspace.string(), "--audit", audit.string(), "--events", eventsTo,
            policy.string(), "--",          "/bin/sh",          "-c",      script};
  }
  Run run(const std::string& eventsTo, const std::string& script = kScript) const {
    return sbx::test::run(argv(eventsTo, script), "", dir.path().string(),
                          {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + (dir.path() / "cache").string()});
  }
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<nlohmann::json> records(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (const auto& line : lines(text))
    if (line.starts_with("{\"time\"")) out.push_back(nlohmann::json::parse(line));
  return out;
}

bool has(const std::vector<nlohmann::json>& recs, const nlohmann::json& subset) {
  return std::any_of(recs.begin(), recs.end(), [&](const nlohmann::json& r) {
    for (const auto& [k, v] : subset.items())
      if (!r.contains(k) || r[k] != v) return false;
    return true;
  });
}

}  // namespace

TEST_CASE("events: --events FILE follows the run's decisions, the same records as the audit log") {
  HttpServer allowed(38180), other(38181);
  Scratch s;
  Run r = s.run(s.events.string());
  INFO(r.out << r.err);
  CHECK(r.exitCode == 3);
  CHECK(r.out.find("hello from 38180") != std::string::npos);
  CHECK(r.out.find("refused 403") != std::string::npos);
  auto recs = records(readText(s.events));
  REQUIRE(!recs.empty());
  std::string runId = recs.front()["run"];
  CHECK(runId.size() == 32);
  for (const auto& rec : recs) {
    CHECK(rec["run"] == runId);
    CHECK(rec["time"].is_number_integer());
    CHECK(rec["event"].is_string());
  }
  CHECK(has(recs, {{"event", "egress"}, {"destination", "127.0.0.1:38180"}, {"verdict", "allowed"}}));
  CHECK(has(recs, {{"event", "egress"}, {"destination", "127.0.0.1:38181"}, {"verdict", "refused"}}));
  CHECK(has(recs, {{"event", "syscall-denied"}, {"syscall", "chroot"}}));
  CHECK(recs.back()["event"] == "exit");
  CHECK(recs.back()["status"] == 3);
  // One rendering, two readers: the stream's lines are the audit log's lines (threads may
  // interleave them differently).
  auto streamed = lines(readText(s.events)), audited = lines(readText(s.audit));
  std::sort(streamed.begin(), streamed.end());
  std::sort(audited.begin(), audited.end());
  CHECK(streamed == audited);
}

TEST_CASE("events: --events - writes the records to standard output") {
  Scratch s;  // no loopback servers: the first case holds their ports, and ctest may run both at once
  Run r = s.run("-", "echo from the command; exit 3");
  INFO(r.out << r.err);
  CHECK(r.exitCode == 3);
  auto recs = records(r.out);
  CHECK(has(recs, {{"event", "start"}, {"task", "events"}}));
  CHECK(has(recs, {{"event", "exit"}, {"status", 3}}));
  CHECK(r.out.find("from the command\n") != std::string::npos);  // the command's own output is untouched
}

TEST_CASE("events: an unsafe FILE is refused before anything runs") {
  Scratch s;
  fs::path target = s.dir.path() / "elsewhere", link = s.dir.path() / "link", fifo = s.dir.path() / "fifo";
  writeText(target, "");
  fs::create_symlink(target, link);
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto start = std::chrono::steady_clock::now();
  Run viaLink = s.run(link.string(), "echo ran");
  Run noReader = s.run(fifo.string(), "echo ran");  // would block an open without O_NONBLOCK
  CHECK(viaLink.exitCode == 125);
  CHECK(viaLink.out.find("ran") == std::string::npos);
  CHECK(viaLink.err.find("cannot open the event stream") != std::string::npos);
  CHECK(noReader.exitCode == 125);
  CHECK(noReader.err.find("a FIFO needs its reader first") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  CHECK(readText(target).empty());
  if (geteuid() == 0) {
    fs::path foreign = s.dir.path() / "foreign";
    writeText(foreign, "");
    REQUIRE(chown(foreign.c_str(), 65534, 65534) == 0);
    Run r = s.run(foreign.string(), "echo ran");
    CHECK(r.exitCode == 125);
    CHECK(r.err.find("belongs to uid 65534") != std::string::npos);
  }
}

TEST_CASE("events: a reader that never reads costs lines, counted, never the run's time") {
  Scratch s;
  // Each denied call is a record of some 400 bytes: 200 of them (the supervisor's bound) and the
  // set-up's records overflow a 64 KiB pipe that nobody reads.
  std::string script =
      "python3 -c 'import os\nfor i in range(400):\n  try: os.chroot(\"/tmp/\" + \"x\" * 200)\n  "
      "except OSError: pass'";
  int pipeFds[2];
  REQUIRE(pipe(pipeFds) == 0);
  auto start = std::chrono::steady_clock::now();
  pid_t child = fork();
  if (child == 0) {
    dup2(pipeFds[1], 1);
    close(pipeFds[0]);
    close(pipeFds[1]);
    std::vector<std::string> argv = s.argv("-", script);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::string cache = "SBX_RUN_CACHE=" + (s.dir.path() / "cache").string();
    char* env[] = {const_cast<char*>("PATH=/usr/bin:/bin"), cache.data(), nullptr};
    execve(cargv[0], cargv.data(), env);
    _exit(127);
  }
  close(pipeFds[1]);
  int status = 0;
  waitpid(child, &status, 0);  // nobody reads the pipe meanwhile
  auto took = std::chrono::steady_clock::now() - start;
  std::string text;
  char buffer[65536];
  fcntl(pipeFds[0], F_SETFL, O_NONBLOCK);
  for (ssize_t n; (n = read(pipeFds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  close(pipeFds[0]);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(took < std::chrono::seconds(25));
  auto audited = lines(readText(s.audit));
  auto streamed = lines(text);
  INFO(text.size() << " bytes streamed, " << audited.size() << " audited");
  CHECK(text.size() <= 65536);
  CHECK(streamed.size() < audited.size());  // the rest could not be written: dropped
  CHECK(records(readText(s.audit)).back()["event"] == "exit");
}
