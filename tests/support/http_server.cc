#include "support/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace sbx::test {

int listenOnLoopback(int port, int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, backlog) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

int boundPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

HttpServer::HttpServer(int port) : port_(port) {
  fd_ = listenOnLoopback(port, 64);
  thread_ = std::thread([this] {
    for (int client; (client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
      std::string head;
      char buf[4096];
      for (ssize_t n; head.find("\r\n\r\n") == std::string::npos && (n = recv(client, buf, sizeof buf, 0)) > 0;)
        head.append(buf, static_cast<std::size_t>(n));
      std::string body = "hello from " + std::to_string(port_) + "\n";
      std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
      send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      ++served_;
      close(client);
    }
  });
}

HttpServer::~HttpServer() {
  shutdown(fd_, SHUT_RDWR);
  thread_.join();
  close(fd_);
}

}  // namespace sbx::test
