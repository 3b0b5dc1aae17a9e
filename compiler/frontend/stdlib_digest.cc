#include "frontend/stdlib_digest.h"

#include <fcntl.h>

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "frontend/embedded_stdlib.h"
#include "util/read_file.h"
#include "util/sha256.h"

namespace sbx::frontend {
namespace fs = std::filesystem;

namespace {

std::string digestOf(const std::map<std::string, std::string>& modules) {
  Sha256 hash;
  for (const auto& [path, text] : modules) {
    hash.update(path);
    hash.update(std::string_view("\0", 1));
    hash.update(std::to_string(text.size()));
    hash.update(std::string_view("\0", 1));
    hash.update(text);
  }
  return hash.finishHex();
}

std::optional<std::map<std::string, std::string>> directoryModules(const std::string& dir) {
  std::map<std::string, std::string> modules;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() != ".sbx") continue;
    std::string error;
    auto text = readRegularFile(AT_FDCWD, it->path().string(), error);
    if (!text) return std::nullopt;
    modules[fs::relative(it->path(), dir).generic_string()] = std::move(*text);
  }
  if (ec) return std::nullopt;
  return modules;
}

}  // namespace

std::optional<std::string> stdlibDigest(const Options& options) {
  if (!options.stdlibDir.empty()) {
    auto modules = directoryModules(options.stdlibDir);
    if (!modules) return std::nullopt;
    return digestOf(*modules);
  }
  // The embedded stdlib cannot change while the process runs: hashed once.
  static const std::string embedded = [] {
    std::map<std::string, std::string> modules;
    for (const EmbeddedFile& file : embeddedStdlibFiles())
      if (file.path.ends_with(".sbx")) modules[std::string(file.path)] = std::string(file.contents);
    return digestOf(modules);
  }();
  return embedded;
}

void checkStdlibLock(const ast::StdlibLock& lock, const Options& options, DiagnosticSink& diags) {
  auto digest = stdlibDigest(options);
  if (!digest) {
    diags
        .report(Code::StdlibLockMismatch, lock.span,
                fmt::format("the stdlib in `{}` cannot be read, so the policy's stdlib lock cannot be checked",
                            options.stdlibDir))
        .help("check the directory given with --stdlib");
    return;
  }
  if (*digest == lock.sha256) return;
  diags
      .report(Code::StdlibLockMismatch, lock.span,
              fmt::format("the policy is locked to stdlib sha256 {}, but this sbxc's stdlib is sha256 {}: what its "
                          "std imports grant may have changed",
                          lock.sha256, *digest))
      .note("the stdlib is compiled into sbxc; upgrading sbxc upgrades it")
      .help(fmt::format("review the change (`sbxc diff` of the plans before and after), then lock the new stdlib "
                        "with `stdlib sha256 \"{}\"`",
                        *digest));
}

}  // namespace sbx::frontend
