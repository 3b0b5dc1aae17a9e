#include "runtime/host_accounts.h"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "util/read_file.h"

namespace sbx::run {

namespace {

constexpr std::size_t kMaxDatabaseBytes = 4 << 20;

// The first line whose first field is `name`, or whose third (the numeric id) is `id`: its name and id.
std::optional<std::pair<std::string, unsigned long>> findEntry(const char* path, const std::string* name,
                                                               const unsigned long* id) {
  std::string error;
  auto text = readRegularFile(AT_FDCWD, path, error, nullptr, false, kMaxDatabaseBytes);
  if (!text) return std::nullopt;
  std::string_view rest = *text;
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    std::string_view fields[3];
    std::size_t start = 0;
    int n = 0;
    for (; n < 3; ++n) {
      std::size_t colon = line.find(':', start);
      if (colon == std::string_view::npos) break;
      fields[n] = line.substr(start, colon - start);
      start = colon + 1;
    }
    if (n < 3) continue;
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), value);
    if (ec != std::errc() || end != fields[2].data() + fields[2].size()) continue;
    if ((name && fields[0] == *name) || (id && value == *id)) return std::make_pair(std::string(fields[0]), value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<gid_t> groupIdOf(const std::string& group) {
  if (auto entry = findEntry("/etc/group", &group, nullptr)) return static_cast<gid_t>(entry->second);
  return std::nullopt;
}

std::string userNameOf(uid_t uid) {
  unsigned long id = uid;
  if (auto entry = findEntry("/etc/passwd", nullptr, &id)) return entry->first;
  return "uid " + std::to_string(uid);
}

}  // namespace sbx::run
