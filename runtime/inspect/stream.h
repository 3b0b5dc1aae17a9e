// A connected socket, plain or with TLS, as the synchronous stream Boost.Beast's HTTP parser and
// serializer read from and write to (Beast's SyncReadStream and SyncWriteStream).
#pragma once
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace sbx::inspect {

class Stream {
 public:
  Stream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() == 0) continue;
      return transfer(b.data(), b.size(), true, ec);
    }
    ec = {};
    return 0;
  }
  // Beast serializes a message as many small buffers (a field name, ": ", its value, ...): they
  // are gathered into one write, one TLS record (up to kGather bytes), so that the peer wakes
  // once per message rather than once per piece. A large first buffer (a body) goes as it is.
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
    std::size_t gathered = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() == 0) continue;
      if (gathered == 0 && b.size() >= kGather) return transfer(const_cast<void*>(b.data()), b.size(), false, ec);
      std::size_t n = std::min(b.size(), kGather - gathered);
      std::memcpy(gather_.data() + gathered, b.data(), n);
      gathered += n;
      if (gathered == kGather) break;
    }
    if (gathered == 0) {
      ec = {};
      return 0;
    }
    return transfer(gather_.data(), gathered, false, ec);
  }
  // Whether a read would return at once: bytes held by TLS, or waiting on the socket.
  bool readable() const;

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::size_t transfer(void* data, std::size_t size, bool reading, boost::system::error_code& ec);

  static constexpr std::size_t kGather = 16 * 1024;  // a TLS record's largest plaintext

  int fd_;
  SSL* ssl_;
  std::array<char, kGather> gather_;
};

}  // namespace sbx::inspect
