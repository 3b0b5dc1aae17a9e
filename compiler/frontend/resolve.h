// Resolves names across modules and builds the model: profiles are merged into tasks, syscall
// groups are expanded and checked against libseccomp's tables, tools, secrets and delegation
// targets are linked, and cross-references are checked. One pass per file: see resolve_internal.h.
#pragma once
#include <optional>

#include "diag/diagnostic.h"
#include "frontend/loader.h"
#include "model/model.h"

namespace sbx::frontend {

std::optional<model::Model> resolve(ModuleSet& modules, DiagnosticSink& diags);

}  // namespace sbx::frontend
