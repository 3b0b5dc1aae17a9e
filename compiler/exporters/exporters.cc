#include "exporters/exporter.h"

#include <stdexcept>

#include <fmt/format.h>

#include "exporters/targets.h"

namespace sbx::exporters {

namespace {

// A target as registered: its losses must be rows of controls.def that list it, so that the table
// answers what each target can lose. A loss of another row is a bug of the exporter or the table;
// the goldens (every example, every target) find it.
class CheckedExporter final : public Exporter {
 public:
  explicit CheckedExporter(const Exporter& target) : target_(target) {}
  std::string_view name() const override { return target_.name(); }
  bool takesImage() const override { return target_.takesImage(); }
  ExportResult exportTask(const ExportInput& input) const override {
    ExportResult result = target_.exportTask(input);
    for (const auto& loss : result.losses)
      if (!canLose(name(), loss.kind))
        throw std::logic_error(
            fmt::format("target {} lost {} ({}), which controls.def does not "
                        "list for it",
                        name(), controlRow(loss.kind).name, loss.control));
    return result;
  }

 private:
  const Exporter& target_;
};

}  // namespace

const std::vector<const Exporter*>& exporters() {
  static const OciExporter oci;
  static const BwrapExporter bwrap;
  static const DockerSeccompExporter dockerSeccomp;
  static const VaultExporter vault;
  static const AwsIamExporter awsIam;
  static const K8sExporter k8s;
  static const SystemdExporter systemd;
  static const CheckedExporter checked[] = {
      CheckedExporter(oci),    CheckedExporter(bwrap), CheckedExporter(dockerSeccomp), CheckedExporter(vault),
      CheckedExporter(awsIam), CheckedExporter(k8s),   CheckedExporter(systemd)};
  static const std::vector<const Exporter*> table = [] {
    std::vector<const Exporter*> out;
    for (const auto& e : checked) out.push_back(&e);
    return out;
  }();
  return table;
}

const Exporter* findExporter(std::string_view name) {
  for (const Exporter* e : exporters())
    if (e->name() == name) return e;
  return nullptr;
}

Loss lost(Control control, std::string what, std::string detail) {
  return Loss{control, std::move(what), std::move(detail)};
}

bool blocks(const Loss& loss, int tier) {
  return tier >= loss.mandatoryFrom();
}

std::string lossReportText(const std::string& task, int tier, const std::vector<Loss>& losses) {
  std::string out =
      fmt::format("task `{}` (T{}): {} control(s) the target cannot express\n", task, tier, losses.size());
  for (const auto& l : losses)
    out += fmt::format("  {} {}: {}\n", blocks(l, tier) ? fmt::format("MANDATORY at T{}", l.mandatoryFrom()) : "lost",
                       l.control, l.detail);
  return out;
}

// The version of loss.json (schemas/loss.schema.json): it changes (v1 -> v2) only when a field is
// renamed, removed, retyped or changes meaning (docs/contracts.md).
constexpr const char* kLossSchema = "sbxc.loss/v1";

nlohmann::ordered_json lossReportJson(const std::string& task, int tier, const std::vector<Loss>& losses) {
  nlohmann::ordered_json out{
      {"schema", kLossSchema}, {"task", task}, {"tier", tier}, {"losses", nlohmann::ordered_json::array()}};
  for (const auto& l : losses) {
    nlohmann::ordered_json x{{"control", l.control}, {"detail", l.detail}, {"mandatory", blocks(l, tier)}};
    if (l.mandatoryFrom() != kNeverMandatory) x["mandatoryFromTier"] = l.mandatoryFrom();
    out["losses"].push_back(x);
  }
  return out;
}

}  // namespace sbx::exporters
