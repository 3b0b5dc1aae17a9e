// The bash scripts that exporters write (the OCI bundle's run.sh, the bubblewrap launcher). Their
// text lives in compiler/exporters/scripts/ (compiled into sbxc), with @name@ placeholders; every
// script starts with preamble.sh, which parses --workspace DIR and --audit FILE, defines `die` and
// `audit`, and chooses the payload's user as sbx-run does (never root), so that the scripts
// behave alike and like sbx-run (exit 124 on timeout, 125 when the launcher fails).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporters/exporter.h"

namespace sbx::exporters {

using Substitutions = std::vector<std::pair<std::string, std::string>>;

// `text` as one shell word, single-quoted where needed.
std::string shellQuote(std::string_view text);

struct ScriptHeader {
  std::string purpose;       // comment lines saying what the script does, each starting with "# "
  std::string usage;         // the whole usage line, e.g. "run.sh [--runtime runc|crun] ... CMD [ARGS...]"
  std::string extraOptions;  // case arms for the script's own options, parsed with the shared ones
};

// preamble.sh, then the script `body` (a file name under scripts/) with `values` put in.
std::string writeScript(const ExportInput& input, const ScriptHeader& header, std::string_view body,
                        const Substitutions& values);

// The task's wall-clock timeout in whole seconds, rounded up; 0 when it declares none.
std::uint64_t timeoutSeconds(const ExportInput& input);

// Whether the plan mounts a workspace.
bool hasWorkspace(const ExportInput& input);

}  // namespace sbx::exporters
