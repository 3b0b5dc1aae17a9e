// sbx-inspect's sessions in-process, with a fake launcher at the channel's other end and fake
// servers on socketpairs: approval holds a request until the verdict (one approval, one request;
// a closed channel refuses); TLS toward the client with the run's CA (ALPN http/1.1, SAN the IP),
// toward the upstream verified, the credential injected over the client's; an upstream of an
// untrusted CA refused; an SNI other than the CONNECT target refused.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "runtime/inspect/session.h"
#include "runtime/json_packets.h"
#include "support/paths.h"

using namespace sbx::inspect;
using sbx::run::receiveMessage;
using sbx::run::sendMessage;

namespace {

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                                      static_cast<int>(bytes.size()))));
  return out;
}

std::pair<int, int> streamPair() {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {fds[0], fds[1]};
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

// Reads until `done` says the text is complete, the peer closes, or 5 s pass.
template <class Read>
std::string readUntil(Read read, int fd, const std::function<bool(const std::string&)>& done) {
  std::string text;
  char buffer[4096];
  while (!done(text) && readable(fd, 5000)) {
    int n = read(buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

bool wholeResponse(const std::string& text) {
  auto end = text.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  auto at = text.find("Content-Length: ");
  std::size_t length = at == std::string::npos ? 0 : std::stoul(text.substr(at + 16));
  return text.size() >= end + 4 + length;
}

sbx::plan::Plan planWith(const std::string& scheme) {
  sbx::plan::Plan plan;
  sbx::plan::Tool tool;
  tool.name = "api";
  sbx::plan::Action list{"list", "read", std::nullopt, false, "", std::nullopt, {}};
  list.requests.push_back({"GET", scheme, "127.0.0.1", 18443, "/api/items", {}});
  sbx::plan::Action close{"close", "write", "irreversible", true, "", 5000, {}};
  close.requests.push_back({"POST", scheme, "127.0.0.1", 18443, "/api/items/{id}/close", {}});
  tool.actions = {list, close};
  plan.task.tools.push_back(tool);
  sbx::plan::Secret secret;
  secret.name = "api_token";
  secret.source = "/dev/null";
  secret.audience = "https://127.0.0.1:18443";
  secret.injection = sbx::plan::SecretInjection{"Authorization", "Bearer {token}", "api"};
  plan.task.secrets.push_back(secret);
  return plan;
}

// The inspector with its channel; the test is the launcher at `launcher`.
struct Fixture {
  Inspector inspector;
  int launcher = -1, inspectorEnd = -1;
  std::unique_ptr<Channel> channel;
  std::thread loop;
  explicit Fixture(const std::string& scheme) {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
    launcher = fds[0];
    inspectorEnd = fds[1];
    inspector.plan = planWith(scheme);
    inspector.secrets["api_token"] = "s3cret-token";
    channel = std::make_unique<Channel>(inspectorEnd);
    inspector.channel = channel.get();
    std::string error;
    REQUIRE(inspector.tls.create(error));
  }
  void run() {
    loop = std::thread([this] { serveChannel(inspector, inspectorEnd); });
  }
  ~Fixture() {
    if (launcher >= 0) close(launcher);
    if (loop.joinable()) loop.join();
    // Connections are served on detached threads, which use the inspector until they end (in
    // sbx-inspect it lives as long as the process): wait for them before it goes.
    for (int i = 0; i < 1000 && inspector.connections.load() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    close(inspectorEnd);
  }
  // Hands a connection over; returns the test's ends: (client, upstream server).
  std::pair<int, int> connect(const std::string& scheme, const std::string& prefix) {
    auto [client, clientInspector] = streamPair();
    auto [server, serverInspector] = streamPair();
    REQUIRE(sendMessage(launcher,
                        {{"type", "connection"},
                         {"id", 1},
                         {"tool", "api"},
                         {"host", "127.0.0.1"},
                         {"port", 18443},
                         {"scheme", scheme},
                         {"prefix", base64(prefix)}},
                        {clientInspector, serverInspector}));
    close(clientInspector);
    close(serverInspector);
    return {client, server};
  }
  nlohmann::json next() {
    REQUIRE(readable(launcher, 5000));
    auto m = receiveMessage(launcher);
    REQUIRE(m);
    return m->json;
  }
};

auto plainRead(int fd) {
  return [fd](char* b, std::size_t n) { return static_cast<int>(recv(fd, b, n, 0)); };
}

// A fake upstream on `fd`: answers each request (head and a Content-Length body) with "ok", and
// appends what it got to `seen`.
std::thread plainServer(int fd, std::string& seen) {
  return std::thread([fd, &seen] {
    for (;;) {
      std::string request = readUntil(plainRead(fd), fd, [](const std::string& t) { return wholeResponse(t); });
      if (request.empty()) break;
      seen += request;
      const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      if (send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL) < 0) break;
    }
    close(fd);
  });
}

const std::string kClose =
    "POST http://127.0.0.1:18443/api/items/7/close HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n"
    "Content-Length: 4\r\n\r\nbody";

}  // namespace

TEST_CASE("inspect: an approval holds the request until the launcher's verdict, and one approval admits one request") {
  Fixture f("http");
  f.run();
  std::string seen;
  auto [client, server] = f.connect("http", kClose);
  std::thread upstream = plainServer(server, seen);
  auto ask = f.next();
  REQUIRE(ask["type"] == "approval-request");
  CHECK(ask["tool"] == "api");
  CHECK(ask["action"] == "close");
  CHECK(ask["method"] == "POST");
  CHECK(ask["url"] == "http://127.0.0.1:18443/api/items/7/close");
  CHECK(ask["timeoutMs"] == 5000);
  CHECK(ask["bodyHead"] == base64("body"));
  CHECK(ask["bodySha256"] == "230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5");
  CHECK(!readable(client, 300));  // held: no answer, and the upstream saw nothing
  CHECK(seen.empty());
  REQUIRE(sendMessage(f.launcher,
                      {{"type", "approval"}, {"request", ask["request"]}, {"verdict", "approved"}, {"by", "alice"}}));
  std::string response = readUntil(plainRead(client), client, wholeResponse);
  CHECK(response.starts_with("HTTP/1.1 200 OK"));
  auto decision = f.next();
  CHECK(decision["type"] == "request");
  CHECK(decision["verdict"] == "allowed");
  CHECK(decision["action"] == "close");
  CHECK(decision["rule"] == R"(request POST "http://127.0.0.1:18443/api/items/{id}/close")");
  CHECK(seen.find("POST /api/items/7/close HTTP/1.1") != std::string::npos);
  CHECK(seen.find("Authorization") == std::string::npos);  // plain HTTP: nothing injected

  // The same request again, on the kept-alive connection: its own approval; denied this time.
  std::string again = "POST /api/items/7/close HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nContent-Length: 4\r\n\r\nbody";
  REQUIRE(send(client, again.data(), again.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(again.size()));
  auto second = f.next();
  REQUIRE(second["type"] == "approval-request");
  CHECK(second["request"] != ask["request"]);
  REQUIRE(sendMessage(f.launcher,
                      {{"type", "approval"}, {"request", second["request"]}, {"verdict", "denied"}, {"by", "bob"}}));
  response = readUntil(plainRead(client), client, wholeResponse);
  CHECK(response.starts_with("HTTP/1.1 403"));
  CHECK(response.find("needs approval: approval denied") != std::string::npos);
  CHECK(f.next()["verdict"] == "refused");
  close(client);
  upstream.join();
  CHECK(seen.find("POST /api/items/7/close", seen.find("POST /api/items/7/close") + 1) == std::string::npos);
}

TEST_CASE("inspect: when the launcher's channel closes, a held request is refused (fail closed)") {
  Fixture f("http");
  f.run();
  std::string seen;
  auto [client, server] = f.connect("http", kClose);
  std::thread upstream = plainServer(server, seen);
  CHECK(f.next()["type"] == "approval-request");
  close(f.launcher);
  f.launcher = -1;
  std::string response = readUntil(plainRead(client), client, wholeResponse);
  CHECK(response.starts_with("HTTP/1.1 403"));
  CHECK(response.find("the launcher is gone") != std::string::npos);
  close(client);
  upstream.join();
  CHECK(seen.empty());
}

TEST_CASE("inspect: a request no action allows gets 403 naming the tool, the request and the rule") {
  Fixture f("http");
  f.run();
  std::string seen;
  auto [client, server] =
      f.connect("http", "DELETE http://127.0.0.1:18443/api/items/7 HTTP/1.1\r\nHost: 127.0.0.1:18443\r\n\r\n");
  std::thread upstream = plainServer(server, seen);
  std::string response = readUntil(plainRead(client), client, wholeResponse);
  CHECK(response.starts_with("HTTP/1.1 403"));
  CHECK(response.find("tool `api` may not send DELETE http://127.0.0.1:18443/api/items/7") != std::string::npos);
  CHECK(response.find(R"(request DELETE "http://127.0.0.1:18443/api/items/7")") != std::string::npos);
  auto decision = f.next();
  CHECK(decision["verdict"] == "refused");
  CHECK(decision["action"].is_null());
  close(client);
  upstream.join();
  CHECK(seen.empty());
}
