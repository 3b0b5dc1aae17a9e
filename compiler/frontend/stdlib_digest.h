// The stdlib's digest: what `stdlib sha256 "<hex>"` locks, and what plan.json and report.json
// record, so that a new sbxc whose stdlib grants something else cannot go unnoticed
// (docs/contracts.md). SHA-256 over every module, in the order of their relative paths
// ('/' separated, "profiles/python.sbx"), each as `<path> NUL <size in decimal> NUL <text>`.
#pragma once
#include <optional>
#include <string>

#include "frontend/ast.h"
#include "frontend/frontend.h"

namespace sbx::frontend {

// 64 lower-case hex digits: of the embedded stdlib, or of the .sbx files under
// options.stdlibDir; nullopt when one of those cannot be read.
std::optional<std::string> stdlibDigest(const Options& options);

// Warns (stdlib-lock-mismatch) when a file's `stdlib sha256 "<hex>"` is not stdlibDigest().
void checkStdlibLock(const ast::StdlibLock& lock, const Options& options, DiagnosticSink& diags);

}  // namespace sbx::frontend
