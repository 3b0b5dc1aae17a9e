// Exporters: one compiled task -> the configuration of a runtime or secret manager people already
// operate. One class per target, one file each, registered in one table (exporters.cc) and
// selected with `sbxc compile FILE --target NAME -o DIR`.
//
// Every exporter also says what its target cannot express: a loss report. A loss of a control
// that the task's tier makes mandatory (controls.def, after classifier/tiers.def) fails the export
// unless the user passes --allow-lossy.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/seccomp/seccomp.h"
#include "plan/plan.h"
#include "tables/controls.h"

namespace sbx::exporters {

// What an exporter translates: the task's plan (the tier is plan.tier) and its compiled filter.
struct ExportInput {
  const plan::Plan& plan;
  const seccomp::SeccompOutput& filter;  // the compiled filter, its OCI profile included
  std::string image = {};                // `sbxc compile --image`, for targets that run one; empty: their default
};

struct Loss {
  Control kind;         // its row in controls.def
  std::string control;  // what is lost, e.g. "TTL of `ci` (1 s)"
  std::string detail;   // why, and what to do instead
  // The kind's tier in controls.def; kNeverMandatory: never.
  int mandatoryFrom() const { return controlRow(kind).mandatoryFrom; }
};

// A loss of one control of the table, in this task's words.
Loss lost(Control control, std::string what, std::string detail);

struct ExportedFile {
  ExportedFile(std::string filePath, std::string fileContent, unsigned fileMode = 0644)
      : path(std::move(filePath)), content(std::move(fileContent)), mode(fileMode) {}
  std::string path;  // under DIR/<task>/
  std::string content;
  unsigned mode;  // 0755 for scripts
};

struct ExportResult {
  std::vector<ExportedFile> files;
  std::vector<Loss> losses;
};

class Exporter {
 public:
  virtual ~Exporter() = default;
  virtual std::string_view name() const = 0;
  virtual ExportResult exportTask(const ExportInput& input) const = 0;
  // Whether the target runs a container image, named with `sbxc compile --image`.
  virtual bool takesImage() const { return false; }
};

// Every target, in the order `sbxc compile --target` accepts them.
const std::vector<const Exporter*>& exporters();
const Exporter* findExporter(std::string_view name);

// The loss report of one task, as text (one line per loss) and as JSON.
std::string lossReportText(const std::string& task, int tier, const std::vector<Loss>& losses);
nlohmann::ordered_json lossReportJson(const std::string& task, int tier, const std::vector<Loss>& losses);
bool blocks(const Loss& loss, int tier);

}  // namespace sbx::exporters
