#include "exporters/exporter.h"

#include <fmt/format.h>

#include "exporters/targets.h"

namespace sbx::exporters {

const std::vector<const Exporter*>& exporters() {
  static const OciExporter oci;
  static const BwrapExporter bwrap;
  static const DockerSeccompExporter dockerSeccomp;
  static const VaultExporter vault;
  static const AwsIamExporter awsIam;
  static const K8sExporter k8s;
  static const SystemdExporter systemd;
  static const std::vector<const Exporter*> table = {&oci, &bwrap, &dockerSeccomp, &vault, &awsIam, &k8s, &systemd};
  return table;
}

const Exporter* findExporter(std::string_view name) {
  for (const Exporter* e : exporters())
    if (e->name() == name) return e;
  return nullptr;
}

bool blocks(const Loss& loss, int tier) {
  return tier >= loss.mandatoryFrom;
}

std::string lossReportText(const std::string& task, int tier, const std::vector<Loss>& losses) {
  std::string out =
      fmt::format("task `{}` (T{}): {} control(s) the target cannot express\n", task, tier, losses.size());
  for (const auto& l : losses)
    out += fmt::format("  {} {}: {}\n", blocks(l, tier) ? fmt::format("MANDATORY at T{}", l.mandatoryFrom) : "lost",
                       l.control, l.detail);
  return out;
}

nlohmann::ordered_json lossReportJson(const std::string& task, int tier, const std::vector<Loss>& losses) {
  nlohmann::ordered_json out{{"task", task}, {"tier", tier}, {"losses", nlohmann::ordered_json::array()}};
  for (const auto& l : losses) {
    nlohmann::ordered_json x{{"control", l.control}, {"detail", l.detail}, {"mandatory", blocks(l, tier)}};
    if (l.mandatoryFrom <= 4) x["mandatoryFromTier"] = l.mandatoryFrom;
    out["losses"].push_back(x);
  }
  return out;
}

}  // namespace sbx::exporters
