// Reading inputs for the subcommands.
#pragma once
#include <optional>
#include <string>

namespace sbx::cli {

std::string readStdin();
std::optional<std::string> readFile(const std::string& path, std::string& error);

}  // namespace sbx::cli
