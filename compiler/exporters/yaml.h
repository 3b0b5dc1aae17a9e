// A small block-YAML writer for the exporters that write Kubernetes manifests: JSON values in,
// readable YAML out, deterministic (keys in the JSON's order). sbxc links no YAML library: the
// output only has to be read, and every scalar is written so that YAML 1.1 and 1.2 readers
// (kubectl's sigs.k8s.io/yaml, PyYAML) take it as the same value: a string that could read as a
// number, a boolean or null is quoted, a multi-line string is a literal block.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace sbx::exporters {

// One YAML document (no `---`), ending in a newline.
std::string toYaml(const nlohmann::ordered_json& value);

}  // namespace sbx::exporters
