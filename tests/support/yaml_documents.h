// Exporter tests: every document of a YAML file read back as JSON by PyYAML's safe loader, a YAML
// parser that is not sbxc's, made to refuse duplicate keys. Header-only, like load_text.h.
#pragma once
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace sbx::test {

inline constexpr const char* kYamlToJson = R"(import json, sys, yaml
class Strict(yaml.SafeLoader):
    pass
def mapping(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    if len(keys) != len(set(keys)):
        raise yaml.constructor.ConstructorError(None, None, 'duplicate key', node.start_mark)
    return loader.construct_mapping(node, deep)
Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
with open(sys.argv[1]) as f:
    json.dump([d for d in yaml.load_all(f, Loader=Strict) if d is not None], sys.stdout)
)";

inline nlohmann::json yamlDocuments(const std::filesystem::path& file) {
  Run r = run({"/usr/bin/python3", "-c", kYamlToJson, file.string()});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  return nlohmann::json::parse(r.out);
}

// The first document of `kind`; fails the test when there is none.
inline nlohmann::json documentOfKind(const nlohmann::json& documents, const std::string& kind) {
  for (const auto& d : documents)
    if (d["kind"] == kind) return d;
  FAIL("no " << kind);
  return {};
}

}  // namespace sbx::test
