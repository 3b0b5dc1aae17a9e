// The options of a sandbox socket that its brokered replacement (socket_broker.h) is given before
// it connects: what a client set before connect(2) holds on the connection it gets. One table.
// Not carried: the buffer sizes (a fresh socket's autotuning serves a host connection better than
// sizes the sandbox's loopback suggested, and the values read back are doubled), SO_MARK and the
// like (privileged on the host), TCP_MAXSEG (an unconnected socket reads back 536, which would
// cap the host connection's segments), SO_BINDTODEVICE (no device of the sandbox's exists on the
// host), TCP_QUICKACK (it reads back the connection's current mode, not a setting).
#pragma once
#include "runtime/socket_option_reader.h"

namespace sbx::run {

// Copies each option of the table from socket `from` to socket `to`, a TCP socket of `family`
// as fresh as socket(2) makes it, reading `from` through `reader`; an option that cannot be read
// or set, or that `from` holds at a fresh socket's value, is left as `to` has it.
void copySocketOptions(int from, int to, int family, SocketOptionReader& reader);

}  // namespace sbx::run
