// Builds the typed AST from a parse tree, checking every literal value on the way
// (units, paths, destinations, enum words, numbers; the checks are in values.h). Names are left
// for the resolver (resolve.cc). The builder is split by construct: see ast_builder_internal.h.
#pragma once
#include "diag/diagnostic.h"
#include "frontend/ast.h"
#include "frontend/parse.h"

namespace sbx::frontend {

ast::File buildAst(FileId file, const ParseTree& tree, DiagnosticSink& diags);

}  // namespace sbx::frontend
