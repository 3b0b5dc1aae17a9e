#include "runtime/inspect/stream.h"

#include <poll.h>

#include <climits>

namespace sbx::inspect {

bool Stream::readable() const {
  if (ssl_ && SSL_pending(ssl_) > 0) return true;
  pollfd ready{fd_, POLLIN, 0};
  return poll(&ready, 1, 0) == 1;
}

std::size_t Stream::transfer(void* data, std::size_t size, bool reading, boost::system::error_code& ec) {
  ec = {};
  int chunk = size > INT_MAX ? INT_MAX : static_cast<int>(size);
  for (;;) {
    if (ssl_) {
      int n = reading ? SSL_read(ssl_, data, chunk) : SSL_write(ssl_, data, chunk);
      if (n > 0) return static_cast<std::size_t>(n);
      int error = SSL_get_error(ssl_, n);
      if (error == SSL_ERROR_SYSCALL && errno == EINTR) continue;
      if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0))
        ec = boost::asio::error::eof;
      else if (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
        ec = boost::asio::error::timed_out;
      else
        ec = boost::asio::error::connection_reset;
      return 0;
    }
    ssize_t n = reading ? recv(fd_, data, size, 0) : send(fd_, data, size, MSG_NOSIGNAL);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && reading)
      ec = boost::asio::error::eof;
    else if (errno == EAGAIN || errno == EWOULDBLOCK)
      ec = boost::asio::error::timed_out;
    else
      ec = boost::asio::error::connection_reset;
    return 0;
  }
}

}  // namespace sbx::inspect
