// Loads a policy file and everything it imports: `import std.<module>` from the stdlib
// (embedded in the binary, or a directory given in Options) and relative file imports.
// Import cycles are reported with the whole chain.
#pragma once
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "frontend/ast.h"
#include "frontend/frontend.h"

namespace sbx::frontend {

struct Module {
  std::string key;  // canonical path, or "std.syscalls"
  bool stdlib = false;
  ast::File ast;
  std::map<std::string, Module*> imports;                 // alias -> module
  std::map<std::string, const ast::Import*> importDecls;  // alias -> declaration
  std::map<std::string, bool> importUsed;
  std::set<std::string> failedImports;  // aliases whose import was reported; no follow-up errors
};

// Imported modules (stdlib and files), parsed once per session and shared by every file loaded
// in it; with them, syscall groups already expanded (keyed by referencing module and name).
struct SharedModules {
  std::deque<Module> modules;
  std::map<std::string, Module*> byKey;
  std::map<std::pair<const Module*, std::string>, std::vector<std::pair<std::string, std::vector<std::string>>>>
      expandedGroups;
};

// The embedded stdlib, parsed once per thread (embeddedStdlib()): every module, with `sources`
// holding exactly its files. A session that uses the embedded stdlib starts its source manager
// as a copy of `sources`, so the modules' spans name the same files there, and finds the
// modules through `shared.byKey` instead of parsing them again.
struct ParsedStdlib {
  SourceManager sources;
  SharedModules shared;
};
ParsedStdlib& embeddedStdlib();

class ModuleSet {
 public:
  explicit ModuleSet(SharedModules& shared) : shared_(shared) {}
  SharedModules& shared() { return shared_; }
  const Options& options() const { return *options_; }

  // Returns the root module, or nullptr when the root file itself cannot be read or lexed.
  Module* loadRoot(const std::string& path, const std::string* text, const Options& options, SourceManager& sources,
                   DiagnosticSink& diags);
  Module* root() const { return root_; }
  // Loads the stdlib module `name` ("std.syscalls") and its imports into the shared modules.
  Module* loadStdlib(const std::string& name, const Options& options, SourceManager& sources, DiagnosticSink& diags);

 private:
  Module* load(const std::string& key, const std::string& displayPath, std::string text, bool stdlib, bool root,
               const Options& options, SourceManager& sources, DiagnosticSink& diags);
  void loadImports(Module& module, const std::string& directory, const Options& options, SourceManager& sources,
                   DiagnosticSink& diags);
  // Where an import's module is: its key, the path shown, and its text unless already loaded.
  struct ImportSource {
    std::string key, display, text;
  };
  std::optional<ImportSource> locateStdlibImport(const ast::Import& imp, const Options& options, DiagnosticSink& diags);
  std::optional<ImportSource> locateFileImport(const Module& module, const ast::Import& imp,
                                               const std::string& directory, DiagnosticSink& diags);
  bool loaded(const std::string& key) const { return byKey_.contains(key) || shared_.byKey.contains(key); }
  bool reportImportCycle(const ast::Import& imp, const std::string& key, DiagnosticSink& diags) const;

  SharedModules& shared_;
  const Options* options_ = nullptr;
  std::deque<Module> modules_;
  std::map<std::string, Module*> byKey_;
  std::vector<std::string> inProgress_;  // the import chain being loaded, for cycle reports
  // Files import files at most this deep (nesting-too-deep, reported once per load).
  static constexpr std::size_t kMaxImportNesting = 64;
  bool tooDeepReported_ = false;
  Module* root_ = nullptr;
  // Where the root policy is (its directory, or the current one for text), and, once a file
  // import needs it, the canonical root imports must stay within (Options::importRoot).
  std::filesystem::path rootBase_;
  std::optional<std::filesystem::path> importRoot_;
  const std::filesystem::path& importRoot();
};

// The stdlib module names available (e.g. "std.syscalls"), for "did you mean".
std::vector<std::string> stdlibModules(const Options& options);

}  // namespace sbx::frontend
