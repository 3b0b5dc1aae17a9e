#include "lsp/json_rpc.h"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace sbx::lsp {

namespace {

// One header line without its CRLF; nullopt at the end of the input. Lines are short: a longer
// one is malformed.
std::optional<std::string> headerLine(std::FILE* in, bool& tooLong) {
  std::string line;
  for (int c; (c = std::fgetc(in)) != EOF;) {
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (line.size() >= 1024) {
      tooLong = true;
      return std::nullopt;
    }
    line.push_back(static_cast<char>(c));
  }
  return std::nullopt;
}

}  // namespace

std::optional<nlohmann::json> readMessage(std::FILE* in, std::string& error) {
  std::optional<std::size_t> length;
  for (;;) {
    bool tooLong = false;
    auto line = headerLine(in, tooLong);
    if (!line) {
      if (tooLong) error = "a header line is longer than 1024 bytes";
      return std::nullopt;
    }
    if (line->empty()) break;
    constexpr std::string_view kLength = "content-length:";
    if (line->size() > kLength.size() && strncasecmp(line->c_str(), kLength.data(), kLength.size()) == 0) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(line->c_str() + kLength.size(), &end, 10);
      if (end == line->c_str() + kLength.size() || n > kMaxMessageBytes) {
        error = fmt::format("bad or too large Content-Length: {}", *line);
        return std::nullopt;
      }
      length = static_cast<std::size_t>(n);
    }
  }
  if (!length) {
    error = "a message without Content-Length";
    return std::nullopt;
  }
  std::string body(*length, '\0');
  if (std::fread(body.data(), 1, body.size(), in) != body.size()) {
    error = "the input ended inside a message";
    return std::nullopt;
  }
  auto message = nlohmann::json::parse(body, nullptr, false);
  if (message.is_discarded() || !message.is_object()) {
    error = "a message that is not a JSON object";
    return std::nullopt;
  }
  return message;
}

void writeMessage(std::FILE* out, const nlohmann::json& message) {
  std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  fmt::print(out, "Content-Length: {}\r\n\r\n{}", body.size(), body);
  std::fflush(out);
}

}  // namespace sbx::lsp
