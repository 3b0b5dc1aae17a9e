#include "runtime/user_ns.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace sbx::run {

Identity payloadIdentity(const std::string& workspace) {
  if (geteuid() != 0) return {getuid(), getgid()};
  struct stat st {};
  if (!workspace.empty() && stat(workspace.c_str(), &st) == 0 && st.st_uid != 0)
    return {st.st_uid, st.st_gid == 0 ? gid_t{65534} : st.st_gid};  // never root's group: nogroup
  return {65534, 65534};
}

IdMaps idMapsFor(const Identity& id) {
  bool root = geteuid() == 0;
  auto map = [&](unsigned payloadId) {
    return root && payloadId != 0 ? fmt::format("0 0 1\n{0} {0} 1\n", payloadId)
                                  : fmt::format("{0} {0} 1\n", payloadId);
  };
  return {map(id.uid), root ? "allow" : "deny", map(id.gid)};
}

bool writeIdMaps(pid_t child, const IdMaps& maps) {
  auto write = [child](const char* name, const std::string& text) {
    std::array<char, 64> path{};  // "/proc/PID/NAME", formatted without allocating
    char* end = std::to_chars(path.data() + 6, path.data() + 32, child).ptr;
    std::memcpy(path.data(), "/proc/", 6);
    *end++ = '/';
    std::memcpy(end, name, std::strlen(name) + 1);
    int fd = ::open(path.data(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0) ::close(fd);
    return ok;
  };
  return write("uid_map", maps.uidMap) && write("setgroups", maps.setgroups) && write("gid_map", maps.gidMap);
}

}  // namespace sbx::run
