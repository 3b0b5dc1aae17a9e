// Loads the root file and its imports (see loader.h): stdlib modules from the embedded copy or
// Options::stdlibDir, files relative to the importing file; each module is parsed once per session.
#include "frontend/loader.h"

#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "frontend/ast_builder.h"
#include "frontend/embedded_stdlib.h"
#include "frontend/parse.h"
#include "frontend/stdlib_digest.h"
#include "util/read_file.h"

namespace sbx::frontend {
namespace fs = std::filesystem;

namespace {

// Policies and imports: regular files only, opened without blocking (util/read_file.h).
std::optional<std::string> readFile(const fs::path& path, std::string& error) {
  return readRegularFile(AT_FDCWD, path.string(), error);
}

// "std.profiles.python" -> "profiles/python.sbx"
std::string stdlibRelativePath(const ast::QualifiedName& module) {
  std::string path;
  for (std::size_t i = 1; i < module.parts.size(); ++i) path += (i > 1 ? "/" : "") + module.parts[i].text;
  return path + ".sbx";
}

std::optional<std::string> readStdlib(const std::string& relative, const Options& options) {
  std::string error;
  if (!options.stdlibDir.empty()) return readFile(fs::path(options.stdlibDir) / relative, error);
  for (const EmbeddedFile& file : embeddedStdlibFiles())
    if (file.path == relative) return std::string(file.contents);
  return std::nullopt;
}

std::string moduleNameOf(std::string relative) {
  relative.resize(relative.size() - 4);  // ".sbx"
  std::replace(relative.begin(), relative.end(), '/', '.');
  return "std." + relative;
}

// The repository a root policy lives in: the nearest directory at or above `start` holding .git.
fs::path repositoryOf(const fs::path& start) {
  std::error_code ec;
  for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / ".git", ec)) return dir;
    if (dir == dir.root_path()) break;
  }
  return start;
}

bool within(const fs::path& path, const fs::path& root) {
  std::string inner = path.lexically_normal().string(), outer = root.lexically_normal().string();
  if (outer.size() > 1 && outer.ends_with('/')) outer.pop_back();
  return outer == "/" || inner == outer || inner.starts_with(outer + "/");
}

// Whether a file starts like a policy: after blank lines and comments, a statement keyword or
// an attribute. Otherwise it is not parsed (its text could be anything) and `at` is where.
bool looksLikePolicyText(std::string_view text, std::uint32_t& line, std::uint32_t& col) {
  line = 1;
  col = 1;
  std::size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line, col = 1, ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++col, ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      break;
    }
  }
  if (i == text.size()) return true;
  std::string_view rest = text.substr(i);
  auto wordChar = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  for (std::string_view keyword : {"stdlib", "import", "task", "profile", "group"})
    if (rest.starts_with(keyword) && (rest.size() == keyword.size() || !wordChar(rest[keyword.size()]))) return true;
  return rest.starts_with('@');
}

}  // namespace

std::vector<std::string> stdlibModules(const Options& options) {
  std::vector<std::string> names;
  if (!options.stdlibDir.empty()) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(options.stdlibDir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().extension() == ".sbx")
        names.push_back(moduleNameOf(fs::relative(it->path(), options.stdlibDir).generic_string()));
    }
  } else {
    for (const EmbeddedFile& file : embeddedStdlibFiles())
      if (file.path.ends_with(".sbx")) names.push_back(moduleNameOf(std::string(file.path)));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Module* ModuleSet::loadRoot(const std::string& path, const std::string* text, const Options& options,
                            SourceManager& sources, DiagnosticSink& diags) {
  options_ = &options;
  std::string contents;
  if (text != nullptr) {
    contents = *text;
  } else {
    std::string error;
    auto read = readFile(path, error);
    if (!read) {
      diags.report(Code::IoError, {}, fmt::format("cannot read `{}`: {}", path, error));
      return nullptr;
    }
    contents = std::move(*read);
  }
  std::error_code ec;
  std::string key = text != nullptr ? "<text>:" + path : fs::weakly_canonical(path, ec).string();
  // The current directory is looked up only when a file import needs it: most policies import
  // none, and text (stdin, fuzzing) would pay a getcwd and a walk up to / for each load.
  rootBase_ = text != nullptr ? fs::path(options.textDirectory) : fs::path(key).parent_path();
  importRoot_.reset();
  root_ = load(key, path, std::move(contents), false, true, options, sources, diags);
  return root_;
}

const fs::path& ModuleSet::importRoot() {
  if (!importRoot_) {
    std::error_code ec;
    fs::path base = rootBase_.empty() ? fs::current_path(ec) : rootBase_;
    importRoot_ = options_->importRoot.empty() ? repositoryOf(base) : fs::weakly_canonical(options_->importRoot, ec);
  }
  return *importRoot_;
}

Module* ModuleSet::loadStdlib(const std::string& name, const Options& options, SourceManager& sources,
                              DiagnosticSink& diags) {
  options_ = &options;
  if (auto it = shared_.byKey.find(name); it != shared_.byKey.end()) return it->second;
  std::string relative = name.substr(std::string_view("std.").size());
  std::replace(relative.begin(), relative.end(), '.', '/');
  relative += ".sbx";
  auto text = readStdlib(relative, options);
  if (!text) return nullptr;
  std::string display = options.stdlibDir.empty()
                            ? "stdlib-policies/" + relative
                            : (fs::path(options.stdlibDir) / relative).lexically_normal().string();
  return load(name, display, std::move(*text), true, false, options, sources, diags);
}

ParsedStdlib& embeddedStdlib() {
  // Per thread: the resolver marks imports used on every module it reads, these included.
  // Built in place, since the modules point at each other.
  thread_local ParsedStdlib parsed;
  thread_local bool built = false;
  if (!built) {
    built = true;
    static const Options kEmbedded;
    // The embedded stdlib is part of the binary and resolves cleanly (tests/unit/frontend_test.cc): nothing to report.
    DiagnosticSink ignored;
    ModuleSet loader(parsed.shared);
    for (const std::string& name : stdlibModules(kEmbedded))
      loader.loadStdlib(name, kEmbedded, parsed.sources, ignored);
  }
  return parsed;
}

Module* ModuleSet::load(const std::string& key, const std::string& displayPath, std::string text, bool stdlib,
                        bool root, const Options& options, SourceManager& sources, DiagnosticSink& diags) {
  FileId file = sources.add(displayPath, std::move(text));
  std::uint32_t line = 0, col = 0;
  if (!stdlib && !looksLikePolicyText(sources.file(file).text, line, col)) {
    sources.markOpaque(file);
    diags
        .report(Code::NotPolicyText, Span{file, line, col, line, col + 1},
                fmt::format("`{}` is not policy text: it does not start with `import`, `task`, `profile`, `group` or "
                            "an attribute, so it is not read further (and none of it is shown)",
                            displayPath))
        .help(root ? "check the file name: sbxc reads .sbx policies"
                   : "check the import: it names a file that is not a policy");
    return nullptr;
  }
  auto tree = parse(file, sources.file(file).text, diags);
  if (tree == nullptr) return nullptr;
  // The root is this load's own; what it imports is shared with later loads of the session.
  auto& store = root ? modules_ : shared_.modules;
  store.emplace_back();
  Module& module = store.back();
  module.key = key;
  module.stdlib = stdlib;
  module.ast = buildAst(file, *tree, diags);
  if (!stdlib && module.ast.stdlibLock) checkStdlibLock(*module.ast.stdlibLock, options, diags);
  tree.reset();  // the parse tree never leaves the front end, nor outlives the AST build
  (root ? byKey_ : shared_.byKey)[key] = &module;
  inProgress_.push_back(key);
  std::string directory = stdlib ? std::string() : fs::path(displayPath).parent_path().string();
  loadImports(module, directory, options, sources, diags);
  inProgress_.pop_back();
  return &module;
}

void ModuleSet::loadImports(Module& module, const std::string& directory, const Options& options,
                            SourceManager& sources, DiagnosticSink& diags) {
  for (const ast::Import& imp : module.ast.imports) {
    std::string alias = imp.aliasName();
    Span aliasSpan = imp.alias ? imp.alias->span : imp.span;
    if (auto previous = module.importDecls.find(alias); previous != module.importDecls.end()) {
      diags.report(Code::DuplicateImport, aliasSpan, fmt::format("two imports are both named `{}`", alias))
          .label(previous->second->span, "first imported here")
          .help(fmt::format("give one of them another name with `as`, e.g. `as {}2`", alias));
      continue;
    }
    bool stdlib = imp.stdlib;
    module.failedImports.insert(alias);  // until it loads
    auto source = stdlib ? locateStdlibImport(imp, options, diags) : locateFileImport(module, imp, directory, diags);
    if (!source || reportImportCycle(imp, source->key, diags)) continue;
    Module* target = nullptr;
    if (auto it = byKey_.find(source->key); it != byKey_.end()) {
      target = it->second;
    } else if (auto cached = shared_.byKey.find(source->key); cached != shared_.byKey.end()) {
      target = cached->second;
    } else if (inProgress_.size() >= kMaxImportNesting) {
      // Loading recurses once per file of a chain: a chain of thousands would overflow the stack.
      if (!tooDeepReported_) {
        tooDeepReported_ = true;
        diags
            .report(
                Code::NestingTooDeep, imp.path.span.valid() ? imp.path.span : imp.span,
                fmt::format("imports nest more than {} files deep here, at `{}`", kMaxImportNesting, source->display))
            .help("import the files you need directly, not each through the one before");
      }
      continue;
    } else {
      target = load(source->key, source->display, std::move(source->text), stdlib, false, options, sources, diags);
    }
    if (target == nullptr) continue;
    module.failedImports.erase(alias);
    module.imports[alias] = target;
    module.importDecls[alias] = &imp;
    module.importUsed[alias] = false;
  }
}

std::optional<ModuleSet::ImportSource> ModuleSet::locateStdlibImport(const ast::Import& imp, const Options& options,
                                                                     DiagnosticSink& diags) {
  if (imp.module.parts.size() < 2 || imp.module.parts[0].text != "std") {
    diags.report(Code::ModuleNotFound, imp.module.span, fmt::format("`{}` is not a stdlib module", imp.module.joined()))
        .help("stdlib modules are imported as `import std.NAME`; your own files as `import \"path/file.sbx\"`");
    return std::nullopt;
  }
  std::string relative = stdlibRelativePath(imp.module);
  ImportSource source;
  source.key = imp.module.joined();
  source.display = options.stdlibDir.empty() ? "stdlib-policies/" + relative
                                             : (fs::path(options.stdlibDir) / relative).lexically_normal().string();
  if (loaded(source.key)) return source;
  auto read = readStdlib(relative, options);
  if (!read) {
    auto& d = diags.report(Code::ModuleNotFound, imp.module.span, fmt::format("no stdlib module `{}`", source.key));
    if (auto m = closestMatch(source.key, stdlibModules(options))) d.help(fmt::format("did you mean `{}`?", *m));
    return std::nullopt;
  }
  source.text = std::move(*read);
  return source;
}

// A file import: relative to the importing file, ending in .sbx, and never from the stdlib.
std::optional<ModuleSet::ImportSource> ModuleSet::locateFileImport(const Module& module, const ast::Import& imp,
                                                                   const std::string& directory,
                                                                   DiagnosticSink& diags) {
  const std::string& rel = imp.path.value;
  if (rel.empty() || rel[0] == '/' || !rel.ends_with(".sbx")) {
    std::string why = rel.empty()     ? "the import path is empty"
                      : rel[0] == '/' ? fmt::format("`{}` is absolute", rel)
                                      : fmt::format("`{}` does not end in .sbx", rel);
    auto& d = diags.report(Code::InvalidImportPath, imp.path.span, fmt::format("cannot import: {}", why))
                  .note("imports of your own files are relative to the importing file and end in .sbx");
    if (!rel.empty() && rel[0] != '/')
      d.help(fmt::format("write import \"{}.sbx\"", rel));
    else
      d.help("write e.g. import \"lib/common.sbx\"");
    return std::nullopt;
  }
  if (module.stdlib) {
    diags.report(Code::InvalidImportPath, imp.path.span, "stdlib modules import only other stdlib modules");
    return std::nullopt;
  }
  fs::path joined = (fs::path(directory) / rel).lexically_normal();
  ImportSource source;
  source.display = joined.string();
  std::error_code ec;
  source.key = fs::weakly_canonical(joined, ec).string();
  if (!importRoot().empty() && !within(fs::path(source.key), importRoot())) {
    diags
        .report(Code::ImportOutsideRoot, imp.path.span,
                fmt::format("`{}` resolves to a file outside the policy's repository; it is not read", source.display))
        .help(
            "keep imported files inside the repository (a symbolic link counts where it points), or pass "
            "`--import-root DIR` to sbxc to allow imports from DIR");
    return std::nullopt;
  }
  if (loaded(source.key)) return source;
  std::string error;
  auto read = readFile(joined, error);
  if (!read) {
    diags
        .report(Code::ImportNotFound, imp.path.span,
                fmt::format("cannot read imported file `{}`: {}", source.display, error))
        .note(fmt::format("imports are resolved relative to the importing file's directory `{}`",
                          directory.empty() ? "." : directory));
    return std::nullopt;
  }
  source.text = std::move(*read);
  return source;
}

bool ModuleSet::reportImportCycle(const ast::Import& imp, const std::string& key, DiagnosticSink& diags) const {
  auto cycle = std::find(inProgress_.begin(), inProgress_.end(), key);
  if (cycle == inProgress_.end()) return false;
  std::string chain;
  for (auto it = cycle; it != inProgress_.end(); ++it) chain += fs::path(*it).filename().string() + " -> ";
  chain += fs::path(key).filename().string();
  diags.report(Code::ImportCycle, imp.span, fmt::format("import cycle: {}", chain))
      .help("move the shared declarations into a file that both import");
  return true;
}

}  // namespace sbx::frontend
