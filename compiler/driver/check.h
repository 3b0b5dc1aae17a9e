// What `sbxc check` finds in one policy, for the command line and the language server alike:
// the front end's diagnostics, then, when the policy resolves, the classifier's findings that are
// not suppressed and the tasks sbx-run would refuse to start (tool_gate_check.h).
#pragma once
#include <string>
#include <vector>

#include "classifier/classify.h"
#include "diag/diagnostic.h"
#include "frontend/frontend.h"

namespace sbx::driver {

struct Checked {
  std::vector<Diagnostic> diagnostics;        // in the order `sbxc check` reports them
  std::vector<classifier::Finding> findings;  // every finding, suppressed ones too (SARIF)
  bool invalid = false;                       // an error: the policy does not parse or resolve
  bool io = false;                            // the file could not be read
};

// `text`: the policy's text when it is not read from `path` (stdin, an editor's buffer).
Checked checkPolicy(frontend::Session& session, const std::string& path, const std::string* text,
                    const classifier::Options& lint);

}  // namespace sbx::driver
