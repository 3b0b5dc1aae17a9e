// The HTTPS origin of bench/inspect_peers.sh: a small, fast HTTP/1.1-over-TLS server on 127.0.0.1,
// so that what the benchmark compares is the proxies, not the server. A thread per connection,
// kept alive; the request's body is ignored (the benchmark sends none).
//   GET /small      -> "ok\n"
//   GET /bytes/N    -> N bytes (Content-Length N), written in 256 KiB pieces
//
//   sbx_https_origin PORT CERT.pem KEY.pem
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kMaxHead = 16 * 1024;
constexpr std::size_t kPiece = 256 * 1024;

bool sendAll(SSL* ssl, const char* data, std::size_t size) {
  while (size > 0) {
    int n = SSL_write(ssl, data, static_cast<int>(size));
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool answer(SSL* ssl, std::string_view path, bool keepAlive) {
  static const std::vector<char> piece(kPiece, 'x');
  unsigned long long bytes = 3;
  if (path.starts_with("/bytes/")) bytes = std::strtoull(std::string(path.substr(7)).c_str(), nullptr, 10);
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(bytes) +
      (keepAlive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  if (!path.starts_with("/bytes/")) return sendAll(ssl, (head + "ok\n").data(), head.size() + 3);
  if (!sendAll(ssl, head.data(), head.size())) return false;
  for (unsigned long long left = bytes; left > 0;) {
    std::size_t n = left < kPiece ? static_cast<std::size_t>(left) : kPiece;
    if (!sendAll(ssl, piece.data(), n)) return false;
    left -= n;
  }
  return true;
}

void serve(SSL_CTX* context, int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SSL* ssl = SSL_new(context);
  SSL_set_fd(ssl, fd);
  std::string buffer;
  char chunk[4096];
  if (SSL_accept(ssl) == 1) {
    for (;;) {
      std::size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos && buffer.size() < kMaxHead) {
        int n = SSL_read(ssl, chunk, sizeof chunk);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      if (end == std::string::npos) break;
      std::string_view head(buffer.data(), end);
      std::string_view line = head.substr(0, head.find("\r\n"));
      auto first = line.find(' '), second = line.rfind(' ');
      if (first == std::string_view::npos || second <= first) break;
      bool keepAlive = head.find("\r\nConnection: close") == std::string_view::npos &&
                       head.find("\r\nconnection: close") == std::string_view::npos;
      if (!answer(ssl, line.substr(first + 1, second - first - 1), keepAlive) || !keepAlive) break;
      buffer.erase(0, end + 4);
    }
  }
  SSL_free(ssl);
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: sbx_https_origin PORT CERT.pem KEY.pem\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_chain_file(context, argv[2]) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, argv[3], SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 128) != 0) {
    std::perror("sbx_https_origin: listen");
    return 1;
  }
  for (;;) {
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) std::thread(serve, context, fd).detach();
  }
}
