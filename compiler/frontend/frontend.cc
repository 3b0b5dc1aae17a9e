#include "frontend/frontend.h"

#include "frontend/loader.h"
#include "frontend/resolve.h"
#include "frontend/stdlib_digest.h"

namespace sbx::frontend {

struct Session::Shared {
  SharedModules modules;
};

Session::Session(Options options) : options_(std::move(options)), shared_(std::make_unique<Shared>()) {
  // The embedded stdlib is parsed once per thread, not once per session: its files come first
  // in this session's sources, where its modules' spans expect them.
  if (options_.stdlibDir.empty()) {
    ParsedStdlib& stdlib = embeddedStdlib();
    sources_ = stdlib.sources;
    shared_->modules.byKey = stdlib.shared.byKey;
  }
}
Session::~Session() = default;

Result Session::run(const std::string& path, const std::string* text) {
  Result result;
  ModuleSet modules(shared_->modules);
  modules.loadRoot(path, text, options_, sources_, result.diagnostics);
  if (modules.root() == nullptr) return result;
  auto model = resolve(modules, result.diagnostics);
  if (model) model->stdlibDigest = stdlibDigest(options_).value_or("");
  if (!result.diagnostics.hasErrors()) result.model = std::move(model);
  return result;
}

Result Session::load(const std::string& path) {
  return run(path, nullptr);
}

Result Session::loadText(const std::string& displayPath, std::string text) {
  return run(displayPath, &text);
}

}  // namespace sbx::frontend
