// Relays one response from the upstream to the client as it arrives: the head, then the body in
// pieces of at most kRelayChunk bytes (Boost.Beast's buffer_body), re-framed by Beast's serializer
// (a chunked body stays chunked, a sized one keeps its length). A download of any size thus costs
// one chunk of memory and starts reaching the client at once, instead of being read whole first.
#pragma once
#include <cstddef>
#include <functional>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "runtime/inspect/stream.h"

namespace sbx::inspect {

constexpr std::size_t kRelayChunk = 64 * 1024;

struct RelayedResponse {
  bool keepAlive = false;  // the upstream keeps the connection open for another request
};

// Reads the response to a request (`headRequest`: to a HEAD, so without a body) from `upstream`
// and writes it to `client`, calling `onHead` once the upstream's head is read, before any byte of
// it is relayed. `ec` is the first error of either side.
RelayedResponse relayResponse(Stream& upstream, boost::beast::flat_buffer& upstreamBuffer, Stream& client,
                              bool headRequest, const std::function<void()>& onHead, boost::beast::error_code& ec);

}  // namespace sbx::inspect
