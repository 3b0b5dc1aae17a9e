#include "cli/io.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "util/read_file.h"

namespace sbx::cli {

std::string readStdin(std::size_t maxBytes) {
  std::string text;
  char buffer[65536];
  std::size_t n;
  while (text.size() < maxBytes &&
         (n = std::fread(buffer, 1, std::min(sizeof buffer, maxBytes - text.size()), stdin)) > 0)
    text.append(buffer, n);
  return text;
}

std::optional<std::string> readFile(const std::string& path, std::string& error) {
  std::string why;
  auto text = readRegularFile(AT_FDCWD, path, why);
  if (!text) error = fmt::format("cannot read `{}`: {}", path, why);
  return text;
}

}  // namespace sbx::cli
