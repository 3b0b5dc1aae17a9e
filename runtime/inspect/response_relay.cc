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
  // The body bytes that came with the head (all of a small response) go out with it, in one
  // write: the client wakes once. Nothing more is waited for before the head is sent.
  response.body().data = chunk.data();
  response.body().size = chunk.size();
  if (!parser.is_done() && upstreamBuffer.size() > 0) {
    std::size_t used = parser.put(upstreamBuffer.data(), ec);
    upstreamBuffer.consume(used);
    if (ec == http::error::need_buffer || ec == http::error::need_more) ec = {};
    if (ec) return out;
  }
  http::response_serializer<http::buffer_body> serializer{response};
  auto offer = [&] {  // what `chunk` holds now, to the serializer
    std::size_t filled = chunk.size() - response.body().size;
    response.body().data = filled ? chunk.data() : nullptr;
    response.body().size = filled;
    response.body().more = !parser.is_done();
  };
  offer();
  for (;;) {
    http::write(client, serializer, ec);
    if (ec == http::error::need_buffer) ec = {};  // the serializer sent what it had and wants more
    if (ec || serializer.is_done()) break;
    response.body().data = chunk.data();
    response.body().size = chunk.size();
    if (!parser.is_done()) {
      // The chunk fills as long as bytes are there to read at once, and what came is sent on
      // when none are: a fast download moves in large writes, a stream of events as it comes.
      do http::read_some(upstream, upstreamBuffer, parser, ec);
      while (!ec && !parser.is_done() && response.body().size > 0 && upstream.readable());
      if (ec == http::error::need_buffer) ec = {};  // the chunk is full: send it, then read on
      if (ec) return out;
    }
    offer();
  }
  if (ec) return out;
  out.keepAlive = out.keepAlive && !parser.need_eof();  // a body that ends with the connection
  return out;
}

}  // namespace sbx::inspect
