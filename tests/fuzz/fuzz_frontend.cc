// libFuzzer harness for the front end: arbitrary bytes in, diagnostics and maybe a model out.
//
// PRODUCT.md promises that every malformed policy gets a diagnostic, never a crash or a hang.
// The sanitizers (SBXC_SANITIZE) turn memory errors and undefined behaviour into crashes; the
// checks below turn a broken Result contract (frontend/frontend.h) into a crash as well, and
// every diagnostic is rendered as text and JSON, because rendering reads the source under each
// span and is where a bad span would show.
//
// Once `sbxc fmt` exists, this harness will also format every input that loaded cleanly and
// check that the output loads again and formats to itself.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "diag/render.h"
#include "frontend/frontend.h"

namespace {

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "fuzz_frontend: contract violated: %s\n", what);
  std::abort();
}

void checkSpan(const sbx::Span& span, const sbx::SourceManager& sources) {
  if (span.valid() && span.file >= sources.size()) violated("a span names a file that was never loaded");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // A fresh session per input: nothing carries over from one input to the next, so every crash
  // reproduces from its one input, and the session's sources do not grow without bound.
  sbx::frontend::Session session;
  // loadText never throws; an escaping exception reaches std::terminate and is reported as a crash.
  sbx::frontend::Result result = session.loadText("fuzz.sbx", std::move(text));
  const sbx::SourceManager& sources = session.sources();

  // The model is present exactly when no error was reported.
  if (result.model.has_value() == result.diagnostics.hasErrors()) {
    violated(result.model ? "a model came back together with errors" : "no model and no error");
  }

  const sbx::RenderOptions plain{};
  for (const sbx::Diagnostic& d : result.diagnostics.sorted()) {
    checkSpan(d.span, sources);
    for (const sbx::Label& label : d.labels) checkSpan(label.span, sources);
    (void)sbx::renderText(d, sources, plain);
    // Input bytes may be echoed in messages and need not be UTF-8; `replace` keeps dump() from
    // throwing on them, as the CLI's JSON output must not either.
    (void)sbx::toJson(d, sources).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  return 0;
}
