#include "cli/io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace sbx::cli {

std::string readStdin() {
  std::string text;
  char buffer[65536];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) text.append(buffer, n);
  return text;
}

std::optional<std::string> readFile(const std::string& path, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = fmt::format("cannot read `{}`: {}", path,
                        std::filesystem::exists(path, ec) ? "not a regular file" : "no such file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in && !in.eof()) {
    error = fmt::format("cannot read `{}`: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  return out.str();
}

}  // namespace sbx::cli
