// The front end's one entry point: text -> tokens -> parse tree -> typed AST -> resolved model.
// Everything after the front end reads only sbx::model::Model.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "diag/diagnostic.h"
#include "diag/source.h"
#include "model/model.h"

namespace sbx::frontend {

struct Options {
  // Directory holding the stdlib modules; empty means the copy embedded in the binary.
  std::string stdlibDir;
  // Where file imports must resolve (after symbolic links): empty means the root policy's
  // repository, the nearest directory above it that holds .git (else its own directory); "/"
  // allows any. A policy in a pull request cannot then import, and echo, a file of the machine.
  std::string importRoot;
  // Where the relative imports of text that is not read from disk (Session::loadText) resolve:
  // an editor's unsaved buffer of a file in that directory. Empty: the current directory.
  std::string textDirectory = {};
};

struct Result {
  DiagnosticSink diagnostics;
  // Present when no error was reported.
  std::optional<model::Model> model;
};

// One session checks or compiles any number of files; they share the source manager (spans of
// every result point into it) and the stdlib modules, which are parsed once.
class Session {
 public:
  explicit Session(Options options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Loads the file at `path` with everything it imports, and resolves it.
  Result load(const std::string& path);
  // Same for text that is not on disk (stdin, fuzzing); relative imports resolve against the
  // current directory.
  Result loadText(const std::string& displayPath, std::string text);

  const SourceManager& sources() const { return sources_; }

 private:
  Result run(const std::string& path, const std::string* text);

  Options options_;
  SourceManager sources_;
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

}  // namespace sbx::frontend
