// Attacks on the egress proxy (tests/runtime/egress_attacks.py, issue 15), inside sbx-run against
// loopback servers of the test's own, as root and as nobody:
//   - request hosts that a C resolver reads otherwise than the rules (a NUL that cuts the name, a
//     control byte, `%`, `_`, non-ASCII, userinfo, a numeric last label, an unbracketed IPv6
//     address) are refused before any rule or lookup, with the reason in the audit;
//   - a tool's egress cannot be borrowed by handing the socket to the tool's process;
//   - a task with a small memory limit holds few connections, and none that its tools need;
//   - many descriptors in many processes do not make each request cost the launcher seconds;
//   - plain HTTP to an allowed server asks it for that host only: no Host header of the client's,
//     no second request on the connection, no head a lenient server splits otherwise.
#include <doctest/doctest.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "support/escape_suite.h"
#include "support/http_server.h"
#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

namespace {

struct Scratch {
  TempDir dir;
  fs::path workspace = dir.path() / "ws", cache = dir.path() / "cache", state = dir.path() / "state",
           audit = dir.path() / "audit.jsonl", policy = dir.path() / "egress.sbx";
  Scratch(bool nobody, const std::string& policyText) {
    for (const auto& d : {workspace, cache, state}) fs::create_directories(d);
    fs::copy_file(sourceDir() / "tests/runtime/egress_attacks.py", workspace / "egress_attacks.py");
    writeText(policy, policyText);
    fs::permissions(dir.path(), fs::perms::all | fs::perms::sticky_bit);  // like /tmp: the cache may sit below it
    if (geteuid() == 0 && chown(workspace.c_str(), 65534, 65534) != 0) FAIL("chown " << workspace);
    if (nobody)
      for (const auto& p : {dir.path(), cache, state, workspace / "egress_attacks.py"})
        if (chown(p.c_str(), 65534, 65534) != 0) FAIL("chown " << p);
  }
  Run launch(const Mode& mode, const std::string& arguments) const {
    std::vector<std::string> argv = mode.prefix;
    argv.insert(argv.end(),
                {SBX_RUN_BINARY, "--workspace", workspace.string(), "--audit", audit.string(), policy.string(), "--",
                 "/bin/sh", "-c", "python3 /workspace/egress_attacks.py " + arguments});
    return run(argv, "", dir.path().string(),
               {"SBX_RUN_CACHE=" + cache.string(), "SBX_STATE_DIR=" + state.string(), "PATH=/usr/bin:/bin"});
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string trimmedLower(std::string text) {
  auto start = text.find_first_not_of(" \t\r"), end = text.find_last_not_of(" \t\r");
  text = start == std::string::npos ? "" : text.substr(start, end - start + 1);
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// A virtual-hosting server as lenient as many are: lines end at LF, a header name may have space
// around it, requests are served one after another on a connection until one says `close`. Each
// answer names the host it was asked for.
class VirtualHostServer {
 public:
  explicit VirtualHostServer(int port) : fd_(listenOnLoopback(port, 16)) {
    thread_ = std::thread([this] {
      for (int client; (client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; close(client)) serve(client);
    });
  }
  ~VirtualHostServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }

 private:
  static void serve(int client) {
    std::string data;
    char chunk[4096];
    for (bool open = true; open;) {
      auto end = data.find("\n\r\n"), lfEnd = data.find("\n\n");
      if (end == std::string::npos && lfEnd == std::string::npos) {
        ssize_t n = recv(client, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        data.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      std::size_t headSize = std::min(end == std::string::npos ? data.size() : end + 3,
                                      lfEnd == std::string::npos ? data.size() : lfEnd + 2);
      std::string head = data.substr(0, headSize), host = "none";
      data.erase(0, headSize);
      for (std::size_t at = head.find('\n'); at != std::string::npos; at = head.find('\n', at + 1)) {
        std::string line = head.substr(at + 1, head.find('\n', at + 1) - at - 1);
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = trimmedLower(line.substr(0, colon)), value = trimmedLower(line.substr(colon + 1));
        if (name == "host") host = value;
        if (name == "connection" && value == "close") open = false;
      }
      std::string body = "served " + host + "\r\n";
      std::string reply = fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.size(), body);
      send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }
  int fd_;
  std::thread thread_;
};

// A python3 and curl task on the host's loopback; `body` holds its egress, tools and secrets.
std::string networkTask(const std::string& body, const std::string& memory = "512MiB",
                        const std::string& timeout = "60s") {
  return fmt::format(R"(import std.programs
import std.syscalls
task t {{
  use programs.curl
  use programs.python3
  write workspace
  timeout {}
{}  syscalls {{
    default errno EPERM
    allow @syscalls.network-io
  }}
  limits {{ memory {}  pids 64 }}
}}
)",
                     timeout, body, memory);
}

// The tool `fetcher`: curl, reaching 127.0.0.1:`port` alone; `extra` adds to its block.
std::string fetcherTool(int port, const std::string& extra = "") {
  return fmt::format(R"(  tool fetcher {{
    description "Fetches from the tool's own service"
    exec "/usr/bin/curl"
    action get effect read
    connect "127.0.0.1:{}"
    {}
  }}
)",
                     port, extra);
}

}  // namespace

TEST_CASE("egress attacks: a host name is checked before any rule matches it or any resolver reads it") {
  HttpServer server(28096);
  const std::string policy = networkTask(
      "  @suppress(wildcard-egress, reason \"the attacks need a wildcard rule to match\")\n"
      "  connect \"*.example.test:28096\", \"localhost:28096\", \"127.0.0.1:28096\"\n");
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    Scratch s(mode.name == "nobody", policy);
    Run r = s.launch(mode, "hosts 28096");
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    const std::string bad = "-> HTTP/1.1 400 Bad Request | sbx-run: host name ";
    CHECK(has(r.out, "nul-absolute " + bad + "`localhost\\x00.example.test` contains the control byte 0x00"));
    CHECK(has(r.out, "nul-connect " + bad + "`localhost\\x00.example.test` contains the control byte 0x00"));
    CHECK(has(r.out, "nul-after-address " + bad + "`127.0.0.1\\x00.example.test` contains the control byte 0x00"));
    CHECK(has(r.out, "control-byte " + bad + "`localhost\\x01.example.test` contains the control byte 0x01"));
    CHECK(has(r.out, "tab " + bad + "`localhost\\x09.example.test` contains the control byte 0x09"));
    CHECK(has(r.out, "percent " + bad + "`localhost%00.example.test` contains `%`"));
    CHECK(has(r.out, "underscore " + bad + "`local_host.example.test` contains `_`"));
    CHECK(has(r.out, "non-ascii " + bad + "`l\\xc3\\xb6calhost.example.test` is not ASCII"));
    CHECK(has(r.out, "userinfo " + bad + "`user@localhost.example.test` contains `@`"));
    CHECK(has(r.out, "numeric-last-label " + bad + "`example.127` ends in an all-numeric label"));
    CHECK(has(r.out, "bracketed-nul -> HTTP/1.1 400 Bad Request | sbx-run: `[::1\\x00.example.test]` is not an IPv6"));
    CHECK(has(r.out, "unbracketed-ipv6 " + bad + "`::1` contains `:`"));
    // A mapped literal matches no rule of another address, and reaches no resolver or connect.
    CHECK(has(r.out, "mapped-metadata -> HTTP/1.1 403 Forbidden | sbx-run: ::ffff:169.254.169.254:80 is not on"));
    CHECK(has(r.out, "mapped-private -> HTTP/1.1 403 Forbidden | sbx-run: ::ffff:10.0.0.1:28096 is not on"));
    CHECK(has(r.out, "bracketed-ipv4 -> HTTP/1.1 400 Bad Request | sbx-run: `[127.0.0.1]` is not an IPv6"));
    // The spellings the compiler refuses, refused by the proxy with the compiler's words.
    const std::string refused = "-> HTTP/1.1 400 Bad Request | sbx-run: ";
    CHECK(has(r.out, "decimal " + refused + "`2130706433` is read as the IPv4 address 127.0.0.1 by the C library"));
    CHECK(has(r.out, "octal " + refused + "`0177.0.0.1` is read as the IPv4 address 127.0.0.1 by the C library"));
    CHECK(has(r.out, "hex " + refused + "`0x7f000001` is read as the IPv4 address 127.0.0.1 by the C library"));
    CHECK(has(r.out, "short " + refused + "`127.1` is read as the IPv4 address 127.0.0.1 by the C library"));
    CHECK(has(r.out, "compatible " + refused + "`::127.0.0.1` is an IPv4-compatible IPv6 address"));
    CHECK(has(r.out, "zone " + refused + "`fe80::1%eth0` has a zone id (`%eth0`)"));
    // ...and one of the address a rule names is that address: served.
    CHECK(has(r.out, "mapped-named -> HTTP/1.1 200 OK | hello from 28096"));
    CHECK(has(r.out, "control-name -> HTTP/1.1 200 OK | hello from 28096"));
    CHECK(has(r.out, "control-address -> HTTP/1.1 200 OK | hello from 28096"));
    // Refused before any lookup: no audit line names an address or a resolver's answer for them.
    std::string audit = readText(s.audit);
    CHECK(has(audit, R"("destination":"localhost\\x00.example.test:28096","verdict":"refused","reason":"host name)"));
    CHECK(has(audit, R"("destination":"localhost:28096","address":"127.0.0.1","verdict":"allowed")"));
    CHECK_FALSE(has(audit, "cannot resolve"));
    CHECK_FALSE(has(audit, "loopback or private"));
  }
  CHECK(server.served() == 6);  // the two controls and the mapped spelling of the named address, twice
}

constexpr const char* kToolSecret = R"(  secret fetch_token {
    source "broker://test/fetch"
    scope "fetch:read"
    audience "fetch.local"
    ttl 1m
  }
)";

// The tool's policy: gated (its process not dumpable, holding a token) or not.
std::string borrowPolicy(bool gated) {
  return networkTask(fmt::format("  identity spiffe \"spiffe://sbx.local/test\"\n{}{}",
                                 fetcherTool(28097, gated ? "uses secret fetch_token" : ""), gated ? kToolSecret : ""));
}

TEST_CASE("egress attacks: a tool's egress is not borrowed by handing its process the socket") {
  HttpServer toolServer(28097);
  // As nobody the launcher cannot read a gated (not dumpable) process's descriptors, so no gated
  // tool's connection can be placed there (docs/egress.md): nobody runs the ungated tool, and
  // also a sibling that hides its descriptors the same way.
  struct Attempt {
    const Mode& mode;
    bool gated;
    std::string arguments, verdictLine;
  };
  const Attempt attempts[] = {{kModes[0], true, "borrow 28097", "borrow -> "},
                              {kModes[0], false, "borrow 28097", "borrow -> "},
                              {kModes[1], false, "borrow 28097", "borrow -> "},
                              {kModes[1], false, "borrow 28097 hide", "borrow-hidden -> "}};
  for (const auto& a : attempts) {
    CAPTURE(a.mode.name);
    CAPTURE(a.gated);
    CAPTURE(a.arguments);
    Scratch s(a.mode.name == "nobody", borrowPolicy(a.gated));
    Run r = s.launch(a.mode, a.arguments);
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(has(r.out, a.verdictLine + "HTTP/1.1 403 Forbidden | sbx-run: 127.0.0.1:28097 is not on the task's egress"));
    // The refused client learns whose destination it is.
    CHECK(has(r.out, "rule: connect \"127.0.0.1:28097\" (of tool fetcher), for that tool's processes alone"));
    CHECK(has(r.out, "tool-itself -> hello from 28097"));  // the control: the tool's own request
    std::string audit = readText(s.audit);
    CHECK(has(audit, R"("destination":"127.0.0.1:28097","verdict":"refused")"));
    CHECK(has(audit, R"("verdict":"allowed","rule":"127.0.0.1:28097","tool":"fetcher")"));
  }
  CHECK(toolServer.served() == 4);  // the tool's own requests alone
}

TEST_CASE("egress attacks: a small task holds few connections, and leaves its tools theirs") {
  HttpServer taskServer(28098);
  // 64 MiB: half of it at 1.5 MiB a connection is 21 connections, 4 of them kept for `fetcher`
  // (runtime/proxy_capacity.h): the agent holds 17, then is refused; the tool still gets in.
  const std::string policy = networkTask("  connect \"127.0.0.1:28098\"\n" + fetcherTool(28099), "64MiB");
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    Scratch s(mode.name == "nobody", policy);
    Run r = s.launch(mode, fmt::format("flood 28098 40 {}", mode.name == "root" ? "wait" : "no"));
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(has(r.out, "flood -> held 17 refused 23"));
    CHECK(has(r.out,
              "agent-request -> HTTP/1.1 503 Service Unavailable | sbx-run: the task's connections through "
              "the proxy are all in use (21 at most, some kept for its tools)"));
    CHECK(has(r.out, "tool-request -> hello from 28098"));
    if (mode.name == "root")
      CHECK(has(r.out,
                "idle-head -> HTTP/1.1 408 Request Timeout | sbx-run: no complete request head within 10 "
                "seconds"));
  }
  CHECK(taskServer.served() == 2);
}

TEST_CASE("egress attacks: plain HTTP asks the allowed server for the allowed host, once") {
  VirtualHostServer server(28093);
  const std::string policy = networkTask("  connect \"localhost:28093\", \"127.0.0.1:28093\"\n");
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    Scratch s(mode.name == "nobody", policy);
    Run r = s.launch(mode, "front 28093");
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    const std::string once = " -> HTTP/1.1 200 OK | served localhost:28093\n";
    CHECK(has(r.out, "host-header" + once));
    CHECK(has(r.out, "pipelined" + once));
    CHECK(has(r.out, "keep-alive" + once));
    CHECK(has(r.out, "control" + once));
    const std::string refused = " -> HTTP/1.1 400 Bad Request | sbx-run: ";
    CHECK(has(r.out, "lone-lf" + refused + "the request head has a NUL, or a CR or LF that is not part of a CRLF"));
    CHECK(
        has(r.out, "space-before-colon" + refused + "a header line is folded, has no `:`, or its name is not a token"));
    CHECK(has(r.out, "folded" + refused + "a header line is folded, has no `:`, or its name is not a token"));
    CHECK_FALSE(has(r.out, "other.test"));
  }
}

TEST_CASE("egress attacks: descriptors hoarded in many processes do not slow the proxy's look at a client") {
  HttpServer server(28093);
  // The proxy looks at every holder of a client's socket only when the task has tools.
  const std::string policy = networkTask("  connect \"127.0.0.1:28093\"\n" + fetcherTool(28094), "512MiB", "120s");
  // 20000 descriptors a process, as a common hard limit allows (many allow a million).
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_max < 20000 && geteuid() == 0) {
    files.rlim_max = files.rlim_cur = 20000;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &files) == 0);
  }
  for (const auto& mode : kModes) {
    CAPTURE(mode.name);
    Scratch s(mode.name == "nobody", policy);
    Run r = s.launch(mode, "hoard 28093 40");
    INFO(r.out << r.err);
    CHECK(r.exitCode == 0);
    CHECK(has(r.out, "hoard-control -> HTTP/1.1 200 OK | hello from 28093"));
    // 41 processes of 19900 descriptors: 816000 links a look, two looks, some 16 s of the
    // launcher's CPU before; at most 8192 entries a look now (about 0.2 s).
    CHECK(has(r.out,
              "hoard -> 19900 descriptors in 41 processes: HTTP/1.1 200 OK | hello from 28093; answered within 3 s"));
  }
  CHECK(server.served() == 4);
}

TEST_CASE("egress: a refused client is told why, with the task, the destination, the rule and the line to add") {
  HttpServer server(28099);
  const std::string policy = networkTask("  connect \"localhost:28099\"\n");
  Scratch s(false, policy);
  Run r = s.launch(kModes[0], "why 28099");
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  // No rule names the destination: the request is denied, CONNECT and plain HTTP alike.
  for (const std::string name : {"why-connect", "why-plain"}) {
    CAPTURE(name);
    CHECK(has(r.out, name + " -> HTTP/1.1 403 Forbidden | Proxy-Status: sbx-run; error=http_request_denied; "
                            "details=\"127.0.0.1:28100 is not on the task's egress allowlist; to allow it: connect "
                            "\\\"127.0.0.1:28100\\\"\" | sbx-run: 127.0.0.1:28100 is not on the task's egress "
                            "allowlist / task: t / destination: 127.0.0.1:28100 / rule: no rule allows it / to allow "
                            "it, add to task t: connect \"127.0.0.1:28100\""));
  }
  // A rule names the host, but it resolves to a loopback address that no rule names.
  for (const std::string name : {"why-private", "why-plain-private"}) {
    CAPTURE(name);
    CHECK(has(r.out, name + " -> HTTP/1.1 403 Forbidden | Proxy-Status: sbx-run; error=destination_ip_prohibited; "
                            "details=\"127.0.0.1 is a loopback or private address the policy does not name; to allow "
                            "it: connect \\\"127.0.0.1:28099\\\"\" | sbx-run: 127.0.0.1 is a loopback or private "
                            "address the policy does not name / task: t / destination: localhost:28099 / rule: "
                            "connect \"localhost:28099\" / to allow it, add to task t: connect \"127.0.0.1:28099\""));
  }
  CHECK(server.served() == 0);
  std::string audit = readText(s.audit);
  CHECK(has(audit, R"("destination":"127.0.0.1:28100","verdict":"refused")"));
  CHECK(has(audit, R"("destination":"localhost:28099","verdict":"refused")"));
}
