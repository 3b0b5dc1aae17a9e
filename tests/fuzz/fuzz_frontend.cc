// libFuzzer harness for the front end: arbitrary bytes in, diagnostics and maybe a model out.
//
// PRODUCT.md promises that every malformed policy gets a diagnostic, never a crash or a hang.
// The sanitizers (SBXC_SANITIZE) turn memory errors and undefined behaviour into crashes; the
// checks below turn a broken Result contract (frontend/frontend.h) into a crash as well, and
// every diagnostic is rendered as text and JSON, because rendering reads the source under each
// span and is where a bad span would show.
//
// Every input is also formatted (`sbxc fmt`); where that succeeds, formatting the output again
// must change nothing, and an input that resolved must resolve to the same model after
// formatting.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "diag/render.h"
#include "frontend/format.h"
#include "frontend/frontend.h"
#include "model/model_json.h"

namespace {

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "fuzz_frontend: contract violated: %s\n", what);
  std::abort();
}

void checkSpan(const sbx::Span& span, const sbx::SourceManager& sources) {
  if (span.valid() && span.file >= sources.size()) violated("a span names a file that was never loaded");
}

}  // namespace

namespace {

void checkFormat(const std::string& text, const sbx::frontend::Result& result, sbx::frontend::Session& session) {
  sbx::SourceManager sources;
  sbx::DiagnosticSink diags;
  sbx::FileId first = sources.add("fuzz.sbx", text);
  auto once = sbx::frontend::format(first, sources.file(first).text, diags);
  if (!once) return;
  sbx::FileId second = sources.add("fuzz.sbx", *once);
  auto twice = sbx::frontend::format(second, sources.file(second).text, diags);
  if (!twice) violated("formatted text does not parse");
  if (*twice != *once) violated("fmt is not idempotent");
  if (!result.model) return;
  auto again = session.loadText("fuzz.sbx", *once);
  if (!again.model) violated("formatted text no longer resolves");
  if (sbx::model::toJson(*again.model, {}) != sbx::model::toJson(*result.model, {}))
    violated("formatting changed the model");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string original = text;
  // A session per input, as each `sbxc check` has: nothing of one input outlives it, so every
  // crash reproduces from its one input, and an input frees all it allocated (libFuzzer's leak
  // check reruns any input that does not, and scans the heap). The stdlib is parsed once per
  // process (frontend/loader.h, embeddedStdlib()), not per session.
  sbx::frontend::Session session;
  // loadText never throws; an escaping exception reaches std::terminate and is reported as a crash.
  sbx::frontend::Result result = session.loadText("fuzz.sbx", std::move(text));
  const sbx::SourceManager& sources = session.sources();

  // The model is present exactly when no error was reported.
  if (result.model.has_value() == result.diagnostics.hasErrors()) {
    violated(result.model ? "a model came back together with errors" : "no model and no error");
  }

  // SBX_FUZZ_RESOLVE_ONLY=1 fuzzes parse and resolve alone, several times faster: the mode for
  // long runs (docs/fuzzing.md). The default also renders every diagnostic and checks fmt.
  static const bool resolveOnly = std::getenv("SBX_FUZZ_RESOLVE_ONLY") != nullptr;
  if (resolveOnly) return 0;
  const sbx::RenderOptions plain{};
  for (const sbx::Diagnostic& d : result.diagnostics.sorted()) {
    checkSpan(d.span, sources);
    for (const sbx::Label& label : d.labels) checkSpan(label.span, sources);
    (void)sbx::renderText(d, sources, plain);
    // Input bytes may be echoed in messages and need not be UTF-8; `replace` keeps dump() from
    // throwing on them, as the CLI's JSON output must not either.
    (void)sbx::toJson(d, sources).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  checkFormat(original, result, session);
  return 0;
}
