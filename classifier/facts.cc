#include "classifier/facts.h"

#include <algorithm>

#include <fmt/format.h>

#include "net/address_classes.h"
#include "net/ip_address.h"

namespace sbx::classifier {

SystemClass systemClass(const model::Tool& tool) {
  if (tool.system.empty()) return SystemClass::None;
  if (!tool.environment) return SystemClass::Production;
  switch (*tool.environment) {
    case model::SystemEnvironment::Production:
      return SystemClass::Production;
    case model::SystemEnvironment::Staging:
      return SystemClass::Staging;
    case model::SystemEnvironment::Development:
    case model::SystemEnvironment::Test:
      return SystemClass::DevelopmentOrTest;
  }
  return SystemClass::Production;
}

bool changesState(model::Effect effect) {
  return effect != model::Effect::Read;
}

namespace {

bool portOpen(const model::Destination& d, std::uint16_t port) {
  return d.portLow <= port && port <= d.portHigh;
}

}  // namespace

bool isOpenDestination(const model::Destination& d) {
  using K = model::Destination::Kind;
  switch (d.kind) {
    case K::Any:
    case K::Wildcard:
      return true;
    case K::Cidr:
      return d.prefix < (d.family == 6 ? 64 : 24);
    case K::Host:
    case K::Ip:
      return false;
  }
  return true;
}

bool isWildcardEgress(const model::Destination& d) {
  using K = model::Destination::Kind;
  if (d.kind == K::Any) return true;
  if (d.kind == K::Cidr) return d.prefix == 0;
  return d.kind == K::Wildcard;
}

std::optional<std::string> metadataReached(const model::Destination& d) {
  using K = model::Destination::Kind;
  if (!portOpen(d, 80)) return std::nullopt;  // every metadata service answers on port 80
  if (d.kind == K::Any) return std::string(kMetadataAddresses[0]);
  if (d.kind == K::Host || d.kind == K::Wildcard) {
    for (const char* host : kMetadataHosts) {
      std::string h = host;
      if (d.kind == K::Host && d.host == h) return h;
      if (d.kind == K::Wildcard && h.size() > d.host.size() && h.ends_with("." + d.host)) return h;
    }
    return std::nullopt;
  }
  // "[::ffff:169.254.169.254]" reaches the IPv4 metadata service too (the front end already holds
  // it as the IPv4 address; a plan read back from elsewhere may not).
  auto network = net::Network::parse(d.address, d.prefix);
  if (!network) return std::nullopt;
  network = network->unmapped();
  for (const char* endpoint : kMetadataAddresses)
    if (network->contains(*net::IpAddress::parse(endpoint))) return std::string(endpoint);
  return std::nullopt;
}

bool pathCovers(std::string_view outer, std::string_view inner) {
  if (outer == "/") return true;
  return inner == outer || (inner.starts_with(outer) && inner[outer.size()] == '/');
}

std::optional<std::string> interpreterNamed(const std::string& executable) {
  struct Interpreter {
    const char* name;
    const char* what;
  };
  static constexpr Interpreter kInterpreters[] = {
#define SBX_INTERPRETER(name, what) {name, what},
#include "classifier/interpreters.def"
#undef SBX_INTERPRETER
  };
  std::string file = executable.substr(executable.rfind('/') + 1);
  // A version suffix: digits and dots after the name ("python3.11", "lua5.4").
  auto versioned = [&](std::string_view name) {
    if (!file.starts_with(name)) return false;
    std::string_view rest = std::string_view(file).substr(name.size());
    return rest.empty() || rest.find_first_not_of("0123456789.") == std::string_view::npos;
  };
  for (const auto& i : kInterpreters)
    if (versioned(i.name)) return std::string(i.what);
  return std::nullopt;
}

namespace {

// Directories of programs by convention: granted unpinned, they execute every program there,
// interpreters included. A pinned path is checked by sbx-run to be a regular file.
bool namesProgramDirectory(const std::string& path) {
  static constexpr std::string_view kDirectories[] = {
      "/",    "/usr",   "/usr/local", "/opt",       "/nix",           "/nix/store", "/snap",
      "/lib", "/lib64", "/usr/lib",   "/usr/lib64", "/usr/local/lib", "/usr/share"};
  std::string_view file = std::string_view(path).substr(path.rfind('/') + 1);
  return file == "bin" || file == "sbin" || file == "libexec" ||
         std::find(std::begin(kDirectories), std::end(kDirectories), path) != std::end(kDirectories);
}

}  // namespace

std::optional<std::string> execRunsCode(const model::ResolvedTask& task, const model::PathGrant& exec) {
  if (exec.workspace) return std::string("the workspace holds user-supplied files");
  if (auto what = interpreterNamed(exec.path)) return fmt::format("it is {}, which runs any code it is given", *what);
  for (const auto& w : task.paths)
    if (w.access == model::Access::Write && (pathCovers(w.path, exec.path) || pathCovers(exec.path, w.path)))
      return fmt::format("it overlaps the writable {}, where generated code can be put", model::describePath(w));
  if (exec.sha256.empty() && namesProgramDirectory(exec.path))
    return std::string("it names a directory of programs, interpreters among them (pin a single program instead)");
  return std::nullopt;
}

namespace {

// The secret locations (tables/secret_locations.def) a path grant covers; `credentialsOnly`:
// only those that hold credentials.
std::optional<std::string> locationCovered(const std::string& path, bool credentialsOnly) {
  enum Kind { Absolute, Component, Suffix, HomeRoot };
  enum Holds { Credential, HostPrivilege };
  struct Location {
    Kind kind;
    const char* pattern;
    const char* what;
    Holds holds;
  };
  static constexpr Location kLocations[] = {
#define SBX_SECRET_PATH(kind, pattern, what, holds) {kind, pattern, what, holds},
#include "tables/secret_locations.def"
#undef SBX_SECRET_PATH
  };
  // Views, no copies: every path grant of every task is compared with every location.
  std::string_view whole = path, last = whole.substr(whole.rfind('/') + 1);
  for (const auto& l : kLocations) {
    if (credentialsOnly && l.holds != Credential) continue;
    std::string_view pattern = l.pattern;
    bool hit = false;
    switch (l.kind) {
      case Absolute:
        hit = pathCovers(whole, pattern) || pathCovers(pattern, whole);
        break;
      case Component:  // a whole component: "/PATTERN/" or "/PATTERN" at the end
        for (auto at = whole.find(pattern); at != std::string_view::npos && !hit; at = whole.find(pattern, at + 1))
          hit = at > 0 && whole[at - 1] == '/' &&
                (at + pattern.size() == whole.size() || whole[at + pattern.size()] == '/');
        break;
      case Suffix:
        hit = last.ends_with(pattern) ||
              (last.starts_with(pattern) && last.size() > pattern.size() && last[pattern.size()] == '.');
        break;
      case HomeRoot: {
        // The home root itself, an ancestor of it, or one whole home directory in it.
        std::string_view rest = pathCovers(pattern, whole) ? whole.substr(pattern.size()) : "";
        hit = pathCovers(whole, pattern) || (!rest.empty() && rest.find('/', 1) == std::string_view::npos);
        break;
      }
    }
    if (hit) return fmt::format("{}: {}", l.pattern, l.what);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> secretLocationCovered(const std::string& path) {
  return locationCovered(path, false);
}

std::optional<std::string> credentialLocationCovered(const std::string& path) {
  return locationCovered(path, true);
}

HostSocketsReached hostSocketsReached(const std::string& path) {
  enum Kind { Runtime, Service };
  struct Location {
    Kind kind;
    const char* path;
    const char* what;
  };
  static constexpr Location kLocations[] = {
#define SBX_HOST_SOCKET(kind, path, what) {kind, path, what},
#include "classifier/host_sockets.def"
#undef SBX_HOST_SOCKET
  };
  // /var/run is the traditional name of /run: a grant may use either. Spelled out once.
  static const auto* aliases = [] {
    auto* names = new std::vector<std::string>();
    for (const auto& l : kLocations)
      names->push_back(std::string_view(l.path).starts_with("/run/") ? std::string("/var") + l.path : l.path);
    return names;
  }();
  HostSocketsReached out;
  for (std::size_t i = 0; i < std::size(kLocations); ++i) {
    const auto& l = kLocations[i];
    bool hit = false;
    for (std::string_view name : {std::string_view(l.path), std::string_view((*aliases)[i])})
      hit = hit || pathCovers(path, name) || pathCovers(name, path);
    if (hit) (l.kind == Runtime ? out.runtimes : out.services).push_back(fmt::format("{}: {}", l.path, l.what));
  }
  return out;
}

bool hasEgress(const model::ResolvedTask& task) {
  return !model::allDestinations(task).empty() || (task.network && task.network->value == model::NetworkMode::Host);
}

std::vector<const model::Tool*> toolsUsing(const model::ResolvedTask& task, const std::string& secret) {
  std::vector<const model::Tool*> out;
  const model::Secret* decl = nullptr;
  for (const auto& s : task.secrets)
    if (s.name == secret) decl = &s;
  for (const auto& tool : task.tools) {
    bool uses = std::find(tool.secrets.begin(), tool.secrets.end(), secret) != tool.secrets.end();
    bool exposed = decl && decl->exposure && decl->exposure->tool == tool.name;
    bool injected = decl && decl->injection && decl->injection->tool == tool.name;  // into its requests
    if (uses || exposed || injected) out.push_back(&tool);
  }
  return out;
}

bool speaksHttp(const model::Tool& tool) {
  if (tool.system.starts_with("https://") || tool.system.starts_with("http://")) return true;
  return std::any_of(tool.actions.begin(), tool.actions.end(),
                     [](const model::Action& a) { return !a.requests.empty(); });
}

bool approvalEnforced(const model::Tool& tool, const model::Action& action) {
  return action.approval && (!action.requests.empty() || !speaksHttp(tool));
}

bool requestsReachAudience(const model::Tool& tool, const model::Secret& secret, std::string_view scheme) {
  std::string_view audience = secret.audience;
  for (std::string_view prefix : {"https://", "http://"})
    if (audience.starts_with(prefix)) audience.remove_prefix(prefix.size());
  audience = audience.substr(0, audience.find('/'));
  for (const auto& action : tool.actions)
    for (const auto& r : action.requests) {
      if (r.scheme != scheme) continue;
      std::string host = r.host.find(':') != std::string::npos ? "[" + r.host + "]" : r.host;
      if (audience.empty() || audience == r.host || audience == host || audience == host + ":" + std::to_string(r.port))
        return true;
    }
  return false;
}

}  // namespace sbx::classifier
