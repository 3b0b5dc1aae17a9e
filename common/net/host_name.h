// DNS host names, checked by one function for the compiler (a policy's `connect` destinations)
// and for sbx-run's egress proxy (a request's CONNECT target or absolute-URI host), before any
// rule is matched or any name resolved: a name the two read differently (a NUL where a C
// resolver stops reading, a byte a resolver folds or decodes) would let a request match one rule
// and reach or look up another name (docs/egress.md).
//
// A host name is LDH: labels of ASCII letters, digits and `-` (not first or last), 1-63 bytes
// each, at most 253 bytes in all, separated by single dots. One trailing dot (the root) is
// removed and letters are folded to lower case. Internationalised names are written as their
// IDNA A-labels (`xn--...`), which are LDH; any other byte (non-ASCII, control bytes, `_`, `%`,
// `@`, spaces) is refused, so no percent-decoding or IDNA mapping ever happens. The last label
// may not be a number (all digits, or 0x and hex digits): resolvers read `10.1`, `0x7f.1` or
// `0xa9fea9fe` as IPv4 addresses.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sbx {

// The canonical form of `text` (lower case, no trailing dot), or nullopt with `why` set to a
// phrase that completes "host name `...` ", e.g. "contains the control byte 0x00".
std::optional<std::string> canonicalHostName(std::string_view text, std::string& why);

// `text` quoted for a diagnostic or an audit line: control, non-ASCII and backquote bytes as \xHH.
std::string printableHostText(std::string_view text);

}  // namespace sbx
