// The language server protocol's framing: JSON-RPC messages, each preceded by a
// `Content-Length: N` header and a blank line, on a byte stream (stdin and stdout).
#pragma once
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sbx::lsp {

constexpr std::size_t kMaxMessageBytes = 64 * 1024 * 1024;  // a 2,000-line policy is ~100 KB

// The next message of `in`; nullopt at the end of the input, or with `error` when a header or
// the body is malformed or larger than kMaxMessageBytes (the stream cannot be trusted after it).
std::optional<nlohmann::json> readMessage(std::FILE* in, std::string& error);

void writeMessage(std::FILE* out, const nlohmann::json& message);

}  // namespace sbx::lsp
