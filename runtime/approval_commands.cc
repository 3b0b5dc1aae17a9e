#include "runtime/approval_commands.h"

#include <cstdint>
#include <cstdio>

#include <fmt/format.h>

#include "runtime/approval_socket.h"
#include "runtime/exit_codes.h"

namespace sbx::run {

namespace {

// What the sandbox sent (a URL, a tool's name) as printable text: no terminal escapes.
std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text)
    out += c < 0x20 || c == 0x7f ? fmt::format("\\x{:02x}", c) : std::string(1, static_cast<char>(c));
  return out;
}

void printPending(const nlohmann::json& list) {
  fmt::print("{:<12} {:<16} {:<16} {:<7} {:>7}  {}\n", "REQUEST", "TOOL", "ACTION", "METHOD", "AGE", "URL");
  for (const auto& held : list) {
    auto field = [&](const char* key) { return printable(held.value(key, std::string())); };
    fmt::print("{:<12} {:<16} {:<16} {:<7} {:>6}s  {}\n", field("request"), field("tool"), field("action"),
               field("method"), held.value("ageMs", std::int64_t{0}) / 1000, field("url"));
  }
}

}  // namespace

bool isApprovalCommand(const std::string& word) {
  return word == "approve" || word == "deny" || word == "pending";
}

int runApprovalCommand(const std::string& command, const std::vector<std::string>& args) {
  bool pending = command == "pending";
  if (args.size() != (pending ? 1u : 2u)) {
    fmt::print(stderr, "sbx-run: usage: sbx-run {}\n", pending ? "pending RUN" : command + " RUN REQUEST");
    return 2;
  }
  nlohmann::json request =
      pending ? nlohmann::json{{"op", "pending"}} : nlohmann::json{{"op", command}, {"request", args[1]}};
  std::string error;
  auto reply = askRun(args[0], request, error);
  if (!reply) {
    fmt::print(stderr, "sbx-run: {}\n", error);
    return kLauncherFailure;
  }
  if (!reply->value("ok", false)) {
    fmt::print(stderr, "sbx-run: {} refused: {}\n", command, printable(reply->value("error", std::string("?"))));
    return 1;
  }
  if (pending)
    printPending(reply->value("pending", nlohmann::json::array()));
  else
    fmt::print(stderr, "sbx-run: request {} of run {} {}\n", args[1], args[0],
               command == "approve" ? "approved" : "denied");
  return 0;
}

}  // namespace sbx::run
