// sbx-inspect's TLS, in-process: the client trusts only the run's CA and gets ALPN http/1.1 and a
// certificate for the IP address; the upstream, on a CA given as --upstream-ca would, gets the
// injected credential in place of the one the client sent; an upstream of a CA nobody trusts is
// refused with a 502; an SNI that differs from the CONNECT target ends the connection.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "runtime/inspect/session.h"
#include "runtime/json_packets.h"
#include "support/paths.h"

using namespace sbx::inspect;

namespace {

sbx::plan::Plan apiPlan() {
  sbx::plan::Plan plan;
  sbx::plan::Tool tool;
  tool.name = "api";
  sbx::plan::Action list{"list", "read", std::nullopt, false, "", std::nullopt, {}};
  list.requests.push_back({"GET", "https", "127.0.0.1", 18443, "/api/items", {}});
  tool.actions = {list};
  plan.task.tools.push_back(tool);
  sbx::plan::Secret secret;
  secret.name = "api_token";
  secret.source = "/dev/null";
  secret.audience = "127.0.0.1:18443";
  secret.injection = sbx::plan::SecretInjection{"Authorization", "Bearer {token}", "api"};
  plan.task.secrets.push_back(secret);
  return plan;
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

std::string sslReadHead(SSL* ssl, bool withBody) {
  std::string text;
  char buffer[4096];
  for (;;) {
    auto end = text.find("\r\n\r\n");
    if (end != std::string::npos) {
      auto at = text.find("Content-Length: ");
      std::size_t length = !withBody || at == std::string::npos ? 0 : std::stoul(text.substr(at + 16));
      if (text.size() >= end + 4 + length) return text;
    }
    int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

struct Result {
  std::string clientSaw, serverSaw, alpn, decision;
  bool handshake = false;
};

// One connection through a fresh inspector: the upstream's certificate from `upstreamCa`
// (trusted by the inspector when `trustUpstream`), the client sending `sni` (empty: none).
Result through(bool trustUpstream, const std::string& sni) {
  signal(SIGPIPE, SIG_IGN);  // the test's own TLS writes to a connection the inspector ended
  sbx::test::TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
  TlsAuthority upstreamCa;
  std::string error;
  REQUIRE(upstreamCa.create(error));
  std::filesystem::create_directory(dir.path() / "up");
  std::filesystem::permissions(dir.path() / "up", std::filesystem::perms::owner_all);
  std::string upstreamCaFile = upstreamCa.writeCertificate((dir.path() / "up").string(), error);
  REQUIRE(!upstreamCaFile.empty());

  Inspector inspector;
  inspector.plan = apiPlan();
  inspector.secrets["api_token"] = "s3cret-token";
  REQUIRE(inspector.tls.create(error));
  REQUIRE(inspector.tls.createClientContext(trustUpstream ? upstreamCaFile : "", error));
  int channelFds[2], client[2], server[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channelFds) == 0);
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, client) == 0);
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, server) == 0);
  Channel channel(channelFds[1]);
  inspector.channel = &channel;
  nlohmann::json message{{"type", "connection"}, {"id", 1},           {"tool", "api"}, {"host", "127.0.0.1"},
                         {"port", 18443},        {"scheme", "https"}, {"prefix", ""}};
  std::thread session([&] { serveConnection(inspector, message, client[1], server[1]); });

  Result result;
  std::thread upstream([&] {
    std::string e;
    SSL* ssl = SSL_new(upstreamCa.serverContext("127.0.0.1", e));
    SSL_set_fd(ssl, server[0]);
    if (SSL_accept(ssl) == 1) {
      result.serverSaw = sslReadHead(ssl, false);
      const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nitems";
      SSL_write(ssl, reply, sizeof reply - 1);
    }
    SSL_free(ssl);
    close(server[0]);
  });

  char established[39];
  REQUIRE(recv(client[0], established, sizeof established, MSG_WAITALL) == 39);
  CHECK(std::string(established, 39) == "HTTP/1.1 200 Connection established\r\n\r\n");
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  std::string caPem = inspector.tls.certificatePem();
  BIO* pem = BIO_new_mem_buf(caPem.data(), static_cast<int>(caPem.size()));
  X509* ca = PEM_read_bio_X509(pem, nullptr, nullptr, nullptr);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  static const unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, client[0]);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl, sni.c_str());
  result.handshake = SSL_connect(ssl) == 1;
  if (!result.handshake)
    MESSAGE("client handshake: " << tlsError() << "; verify: "
                                 << std::string(X509_verify_cert_error_string(SSL_get_verify_result(ssl))));
  if (result.handshake) {
    const unsigned char* alpn = nullptr;
    unsigned alpnLength = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpnLength);
    result.alpn.assign(reinterpret_cast<const char*>(alpn), alpnLength);
    const char request[] = "GET /api/items HTTP/1.1\r\nHost: 127.0.0.1:18443\r\nauthorization: Bearer stolen\r\n\r\n";
    SSL_write(ssl, request, sizeof request - 1);
    result.clientSaw = sslReadHead(ssl, true);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  X509_free(ca);
  BIO_free(pem);
  close(client[0]);
  session.join();
  if (readable(channelFds[0], 1000))
    if (auto decision = sbx::run::receiveMessage(channelFds[0])) result.decision = decision->json.dump();
  upstream.join();
  close(channelFds[0]);
  close(channelFds[1]);
  return result;
}

}  // namespace

TEST_CASE("inspect: TLS both ways, and the upstream gets the injected token instead of the client's") {
  Result r = through(true, "");
  REQUIRE(r.handshake);
  CHECK(r.alpn == "http/1.1");
  CHECK(r.clientSaw.starts_with("HTTP/1.1 200 OK"));
  CHECK(r.clientSaw.ends_with("items"));
  CHECK(r.serverSaw.find("Authorization: Bearer s3cret-token\r\n") != std::string::npos);
  CHECK(r.serverSaw.find("stolen") == std::string::npos);
  CHECK(r.decision.find(R"("verdict":"allowed")") != std::string::npos);
}

TEST_CASE("inspect: an upstream whose certificate no trusted CA signed is refused (no downgrade, no skip)") {
  Result r = through(false, "");
  REQUIRE(r.handshake);
  CHECK(r.clientSaw.starts_with("HTTP/1.1 502"));
  CHECK(r.clientSaw.find("is not trusted") != std::string::npos);
  CHECK(r.serverSaw.empty());
}

TEST_CASE("inspect: an SNI other than the CONNECT target ends the connection before any request") {
  Result r = through(true, "evil.example");
  CHECK(r.clientSaw.empty());
  CHECK(r.serverSaw.empty());
  CHECK(r.decision.find("differs from the CONNECT target") != std::string::npos);
}
