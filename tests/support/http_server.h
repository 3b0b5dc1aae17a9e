// A loopback HTTP server for the egress tests: answers every request with "hello from PORT"
// and counts the requests it served. Only ever binds 127.0.0.1.
#pragma once
#include <atomic>
#include <thread>

namespace sbx::test {

// A listening TCP socket on 127.0.0.1:`port` (0: a free port, see boundPort); throws when the
// port cannot be had.
int listenOnLoopback(int port, int backlog);
int boundPort(int fd);

class HttpServer {
 public:
  explicit HttpServer(int port);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  int served() const { return served_; }

 private:
  int fd_ = -1, port_;
  std::atomic<int> served_{0};
  std::thread thread_;
};

}  // namespace sbx::test
