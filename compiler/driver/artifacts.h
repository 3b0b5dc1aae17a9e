// Everything `sbxc compile` writes for one policy, as files in memory: per root task,
// <task>/plan.json, report.json, seccomp.bpf, seccomp.pfc and seccomp.json, or with an export
// target, that target's files and the loss report (loss.txt, loss.json). sbxc writes them to
// -o DIR; sbx-run writes them to its cache. The classifier's tier selects the syscall baseline.
#pragma once
#include <string>
#include <vector>

#include "backends/seccomp/seccomp.h"
#include "classifier/classify.h"
#include "diag/diagnostic.h"
#include "exporters/exporter.h"
#include "util/atomic_file.h"

namespace sbx::backends {

struct ArtifactOptions {
  seccomp::Codegen codegen = seccomp::Codegen::Sbxc;
  const exporters::Exporter* target = nullptr;  // null: sbx-run's own artifacts
  std::string image;                            // --image, for targets that run a container image
};

// Files under `outDir`, or the errors (a filter that cannot be built) that prevent them.
struct Artifacts {
  std::vector<PendingFile> files;
  std::vector<Diagnostic> errors;
  std::string lossReport;      // an export's losses, as text, every task's
  bool mandatoryLoss = false;  // a control some task's tier makes mandatory would be lost
};

Artifacts buildArtifacts(const model::Model& model, const classifier::Report& report, const SourceManager& sources,
                         const std::string& outDir, const ArtifactOptions& options);

}  // namespace sbx::backends
