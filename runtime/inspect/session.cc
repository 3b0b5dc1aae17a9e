#include "runtime/inspect/session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include <algorithm>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "runtime/inspect/request_head.h"
#include "runtime/inspect/response_relay.h"
#include "runtime/inspect/stream.h"

namespace sbx::inspect {

namespace http = boost::beast::http;

namespace {

constexpr std::uint64_t kMaxRequestBody = 16 * 1024 * 1024;
constexpr int kMaxConnections = 256;  // served at once (threads)
constexpr int kIdleSeconds = 60;      // a kept-alive connection waiting for its next request
constexpr std::size_t kApprovalBodyHead = 1024;

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4) return "";
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return "";
  std::size_t padding = static_cast<std::size_t>(std::count(text.end() - 2, text.end(), '='));
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  for (unsigned char b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

void setTimeout(int fd, int seconds) {
  timeval t{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
}

// The audience "https://host:port/...", "host:port" or "host" against the request's host and port.
bool inAudience(const std::string& audience, const RequestFacts& request) {
  if (audience.empty()) return true;  // the secret names none: the hosts of its tool's rules
  std::string_view a = audience;
  if (auto scheme = a.find("://"); scheme != std::string_view::npos) a.remove_prefix(scheme + 3);
  a = a.substr(0, a.find('/'));
  std::string host(a), port;
  if (a.starts_with('[')) {
    host = std::string(a.substr(1, a.find(']') - 1));
    if (auto colon = a.find("]:"); colon != std::string_view::npos) port = std::string(a.substr(colon + 2));
  } else if (auto colon = a.rfind(':'); colon != std::string_view::npos && a.find(':') == colon) {
    host = std::string(a.substr(0, colon));
    port = std::string(a.substr(colon + 1));
  }
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  return host == request.host && (port.empty() || port == std::to_string(request.port));
}

struct Connection {
  Inspector& inspector;
  std::uint64_t id;
  std::string tool;
  const plan::Tool* toolPlan = nullptr;
  ConnectionTarget target;

  void report(const RequestFacts* facts, const plan::Action* action, const std::string& verdict,
              const std::string& rule, const std::string& fallbackUrl = "") {
    inspector.channel->send({{"type", "request"},
                             {"connection", id},
                             {"tool", tool},
                             {"action", action ? nlohmann::json(action->name) : nlohmann::json(nullptr)},
                             {"method", facts ? facts->method : ""},
                             {"url", facts ? urlOf(*facts) : fallbackUrl},
                             {"verdict", verdict},
                             {"rule", rule}});
  }

  std::string who() const { return tool.empty() ? "the task's own processes" : fmt::format("tool `{}`", tool); }
};

void answer(Stream& client, int status, const std::string& reason, const std::string& body) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.set(http::field::connection, "close");
  response.set("Proxy-Status", fmt::format("sbx-run; error=http_request_denied; details=\"{}\"", reason));
  response.body() = body;
  response.prepare_payload();
  boost::beast::error_code ec;
  http::write(client, response, ec);
}

// The next head in `buffer` (reading more as needed), or empty at the connection's end.
std::string readHead(Stream& stream, boost::beast::flat_buffer& buffer, bool& tooLong) {
  for (;;) {
    std::string_view have(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (auto end = have.find("\r\n\r\n"); end != std::string_view::npos) return std::string(have.substr(0, end + 4));
    if (have.size() >= kMaxHeadBytes) {
      tooLong = true;
      return "";
    }
    boost::beast::error_code ec;
    std::size_t n = stream.read_some(buffer.prepare(4096), ec);
    if (ec || n == 0) return "";
    buffer.commit(n);
  }
}

}  // namespace

std::string refusalBody(const std::string& tool, const std::string& request, const std::string& rule) {
  if (tool.empty())
    return fmt::format(
        "sbx-run: the task may not send {}: requests to this host are allowed only to a tool's actions, and the "
        "task's own processes are no tool.\nTo allow it, add to an action of the tool that should send it:\n  {}\n",
        request, rule);
  return fmt::format(
      "sbx-run: tool `{}` may not send {}: no action of the tool has a request rule that matches it.\nTo allow it, "
      "add to the action of tool `{}` that does this:\n  {}\n",
      tool, request, tool, rule);
}

void serveConnection(Inspector& inspector, const nlohmann::json& message, int clientFd, int upstreamFd) {
  // OpenSSL writes with write(2): a peer that went away must fail the write, not kill the process.
  sigset_t pipeSignal;
  sigemptyset(&pipeSignal);
  sigaddset(&pipeSignal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipeSignal, nullptr);
  Connection c{inspector, message.value("id", std::uint64_t{0}), message.value("tool", ""), nullptr, {}};
  c.target = {message.value("scheme", ""), message.value("host", ""),
              static_cast<std::uint16_t>(message.value("port", 0))};
  for (const auto& t : inspector.plan.task.tools)
    if (t.name == c.tool) c.toolPlan = &t;
  std::string prefix = unbase64(message.value("prefix", ""));
  setTimeout(clientFd, 10);
  setTimeout(upstreamFd, 30);
  // A relayed response is written as a head and a body; Nagle's algorithm would hold the second
  // write until the client acknowledges the first.
  int one = 1;
  setsockopt(clientFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(upstreamFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Brokered by sbx-run's socket broker rather than asked of its proxy: no CONNECT to answer, and
  // the client's first byte tells a TLS handshake (a record of type 22) from plain HTTP.
  bool transparent = message.value("transparent", false);
  if (transparent) {
    unsigned char first = 0;
    ssize_t n;
    do n = recv(clientFd, &first, 1, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    c.target.scheme = n == 1 && first == 0x16 ? "https" : "http";
  }
  bool tls = c.target.scheme == "https";
  SSL* clientTls = nullptr;
  SSL* upstreamTls = nullptr;
  std::string connectionUrl = fmt::format("{}://{}:{}", c.target.scheme, c.target.host, c.target.port);
  auto finish = [&] {
    if (clientTls) SSL_shutdown(clientTls);
    SSL_free(clientTls);
    SSL_free(upstreamTls);
    close(clientFd);
    close(upstreamFd);
  };
  if (tls) {
    std::string error;
    SSL_CTX* context = inspector.tls.serverContext(c.target.host, error);
    static const char kEstablished[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    // A client that speaks before the tunnel is established: its bytes would bypass the handshake.
    if (!prefix.empty() || !context ||
        (!transparent &&
         send(clientFd, kEstablished, sizeof kEstablished - 1, MSG_NOSIGNAL) != sizeof kEstablished - 1)) {
      c.report(nullptr, nullptr, "refused", context ? "the client sent bytes before the tunnel was established" : error,
               connectionUrl);
      return finish();
    }
    clientTls = SSL_new(context);
    SSL_set_fd(clientTls, clientFd);
    if (SSL_accept(clientTls) != 1) {
      c.report(nullptr, nullptr, "refused", "the client's TLS handshake failed: " + tlsError(), connectionUrl);
      return finish();
    }
    const char* sni = SSL_get_servername(clientTls, TLSEXT_NAMETYPE_host_name);
    std::string sniText = sni ? sni : "";
    std::transform(sniText.begin(), sniText.end(), sniText.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (!sniText.empty() && sniText.back() == '.') sniText.pop_back();
    if (sni && sniText != c.target.host) {
      c.report(nullptr, nullptr, "refused",
               fmt::format("the TLS server name (SNI) `{}` differs from the {} {}", sniText,
                           transparent ? "connected address" : "CONNECT target", c.target.host),
               connectionUrl);
      return finish();
    }
    upstreamTls = connectUpstream(inspector.tls.clientContext(), upstreamFd, c.target.host, error);
    if (!upstreamTls) {
      Stream client(clientFd, clientTls);
      answer(client, 502, "tls_certificate_error", "sbx-run: " + error + "\n");
      c.report(nullptr, nullptr, "refused", error, connectionUrl);
      return finish();
    }
  }
  Stream client(clientFd, clientTls), upstream(upstreamFd, upstreamTls);
  boost::beast::flat_buffer clientBuffer, upstreamBuffer;
  if (!tls && !prefix.empty()) {
    auto space = clientBuffer.prepare(prefix.size());
    std::memcpy(space.data(), prefix.data(), prefix.size());
    clientBuffer.commit(prefix.size());
  }
  for (bool first = true;; first = false) {
    if (!first) setTimeout(clientFd, kIdleSeconds);
    bool tooLong = false;
    std::string head = readHead(client, clientBuffer, tooLong);
    if (head.empty()) {
      if (tooLong) {
        answer(client, 431, "http_request_error", "sbx-run: the request head is larger than 16 KiB\n");
        c.report(nullptr, nullptr, "refused", "the request head is larger than 16 KiB", connectionUrl);
      }
      break;
    }
    setTimeout(clientFd, 30);
    HeadVerdict verdict = checkHead(head, c.target);
    if (verdict.status) {
      answer(client, verdict.status, verdict.status == 400 ? "http_request_error" : "http_request_denied",
             fmt::format("sbx-run: refused: {}\n", verdict.why));
      c.report(verdict.facts.method.empty() ? nullptr : &verdict.facts, nullptr, "refused", verdict.why, connectionUrl);
      break;
    }
    const RequestFacts& facts = verdict.facts;
    std::optional<Match> match = c.toolPlan ? matchRequest(*c.toolPlan, facts) : std::nullopt;
    if (!match) {
      std::string needed = ruleFor(facts);
      answer(client, 403, "http_request_denied", refusalBody(c.tool, facts.method + " " + urlOf(facts), needed));
      c.report(&facts, nullptr, "refused", "no action of " + c.who() + " matches; would be allowed by " + needed);
      break;
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeadBytes);
    parser.body_limit(kMaxRequestBody);
    boost::beast::error_code ec;
    http::read_header(client, clientBuffer, parser, ec);
    if (!ec && verdict.expectContinue) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      boost::asio::const_buffer b(kContinue, sizeof kContinue - 1);
      client.write_some(std::array{b}, ec);
    }
    if (!ec) http::read(client, clientBuffer, parser, ec);
    if (ec) {
      answer(client, ec == http::error::body_limit ? 413 : 400, "http_request_error",
             fmt::format("sbx-run: the request's body cannot be read: {}\n", ec.message()));
      c.report(&facts, match->action, "refused", "the body cannot be read: " + ec.message());
      break;
    }
    http::request<http::string_body> request = parser.release();
    if (match->action->approval) {
      nlohmann::json ask{{"type", "approval-request"},
                         {"request", fmt::format("r{}", ++inspector.approvals)},
                         {"tool", c.tool},
                         {"action", match->action->name},
                         {"method", facts.method},
                         {"url", urlOf(facts)},
                         {"approver", match->action->approver},
                         {"timeoutMs", match->action->approvalTimeoutMs.value_or(30000)},
                         {"bodySha256", sha256Hex(request.body())},
                         {"bodyHead", base64(std::string_view(request.body()).substr(0, kApprovalBodyHead))}};
      std::string by, outcome = inspector.channel->awaitApproval(ask, by);
      if (outcome != "approved") {
        std::string why =
            outcome == "closed" ? "the launcher is gone: nothing can approve it" : fmt::format("approval {}", outcome);
        answer(client, 403, "http_request_denied",
               fmt::format("sbx-run: {} {} of action `{}` needs approval: {}\n", facts.method, urlOf(facts),
                           match->action->name, why));
        c.report(&facts, match->action, "refused", why);
        break;
      }
    }
    // The upstream gets the target that was judged, and none of the proxy's or client's credentials
    // for a header the run injects.
    request.target(facts.target.path + (facts.target.query.empty() ? "" : "?" + facts.target.query));
    request.erase(http::field::proxy_connection);
    request.erase(http::field::proxy_authorization);
    request.erase(http::field::expect);
    if (tls)
      for (const auto& secret : inspector.plan.task.secrets)
        if (secret.injection && secret.injection->tool == c.tool && inAudience(secret.audience, facts)) {
          auto value = inspector.secrets.find(secret.name);
          if (value == inspector.secrets.end()) continue;
          std::string header = secret.injection->value;
          if (auto at = header.find("{token}"); at != std::string::npos) header.replace(at, 7, value->second);
          request.set(secret.injection->header, header);
        }
    request.prepare_payload();
    http::write(upstream, request, ec);
    RelayedResponse relayed;
    bool answered = false;
    auto allowed = [&] {
      answered = true;
      c.report(&facts, match->action, "allowed", ruleText(*match->rule));
    };
    if (!ec)
      relayed = relayResponse(upstream, upstreamBuffer, client, request.method() == http::verb::head, allowed, ec);
    if (ec && !answered) {
      answer(client, 502, "destination_unavailable", fmt::format("sbx-run: the upstream failed: {}\n", ec.message()));
      c.report(&facts, match->action, "refused", "the upstream failed: " + ec.message());
      break;
    }
    bool keepAlive = request.keep_alive() && relayed.keepAlive;
    if (ec || !keepAlive) break;
  }
  finish();
}

void serveChannel(Inspector& inspector, int channelFd) {
  while (auto message = receiveMessage(channelFd)) {
    std::string type = message->json.value("type", "");
    if (type == "connection" && message->fds.size() == 2) {
      // A thread per connection, at most kMaxConnections at once: past that, the connection is
      // refused (closed and reported) rather than given a thread the machine may not have.
      if (inspector.connections.fetch_add(1) >= kMaxConnections) {
        inspector.connections.fetch_sub(1);
        Connection{inspector, message->json.value("id", std::uint64_t{0}), message->json.value("tool", ""), nullptr, {}}
            .report(nullptr, nullptr, "refused",
                    fmt::format("the inspector already serves {} connections, its limit", kMaxConnections),
                    fmt::format("{}:{}", message->json.value("host", ""), message->json.value("port", 0)));
        for (int fd : message->fds) close(fd);
        continue;
      }
      std::thread([&inspector, json = std::move(message->json), fds = message->fds] {
        serveConnection(inspector, json, fds[0], fds[1]);
        inspector.connections.fetch_sub(1);
      }).detach();
      continue;
    }
    if (type == "approval")
      inspector.channel->deliverApproval(message->json.value("request", ""), message->json.value("verdict", "denied"),
                                         message->json.value("by", ""));
    for (int fd : message->fds) close(fd);
  }
  inspector.channel->close();  // every held and later request is refused
}

}  // namespace sbx::inspect
