// Reading inputs for the subcommands.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sbx::cli {

// Stops after `maxBytes` (the caller sees a longer input as one of maxBytes bytes and refuses it).
std::string readStdin(std::size_t maxBytes = SIZE_MAX);
std::optional<std::string> readFile(const std::string& path, std::string& error);

}  // namespace sbx::cli
