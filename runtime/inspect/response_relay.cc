#include "runtime/inspect/response_relay.h"

#include <array>
#include <cstdint>
#include <limits>

#include <boost/beast/http.hpp>

#include "runtime/inspect/request_head.h"

namespace sbx::inspect {

namespace http = boost::beast::http;

RelayedResponse relayResponse(Stream& upstream, boost::beast::flat_buffer& upstreamBuffer, Stream& client,
                              bool headRequest, const std::function<void()>& onHead, boost::beast::error_code& ec) {
  RelayedResponse out;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kMaxHeadBytes);
  // Relayed piece by piece, so no limit; the largest value rather than boost::none, which Boost
  // 1.74 compares as smaller than any Content-Length (basic_parser.ipp: `len_ > body_limit_`).
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.skip(headRequest);
  http::read_header(upstream, upstreamBuffer, parser, ec);
  if (ec) return out;
  auto& response = parser.get();
  out.keepAlive = response.keep_alive() && response.result_int() != 101;
  onHead();

  thread_local std::array<char, kRelayChunk> chunk;  // a connection's thread relays one response at a time
  http::response_serializer<http::buffer_body> serializer{response};
  response.body().data = nullptr;
  response.body().more = !parser.is_done();
  http::write_header(client, serializer, ec);
  if (ec) return out;
  while (!serializer.is_done()) {
    if (parser.is_done()) {
      response.body().data = nullptr;
      response.body().size = 0;
      response.body().more = false;
    } else {
      response.body().data = chunk.data();
      response.body().size = chunk.size();
      http::read(upstream, upstreamBuffer, parser, ec);
      if (ec == http::error::need_buffer) ec = {};  // the chunk is full: send it, then read on
      if (ec) return out;
      response.body().size = chunk.size() - response.body().size;
      response.body().data = chunk.data();
      response.body().more = !parser.is_done();
    }
    http::write(client, serializer, ec);
    if (ec == http::error::need_buffer) ec = {};  // the serializer sent what it had and wants more
    if (ec) return out;
  }
  out.keepAlive = out.keepAlive && !parser.need_eof();  // a body that ends with the connection
  return out;
}

}  // namespace sbx::inspect
