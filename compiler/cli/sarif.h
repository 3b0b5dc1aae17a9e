// SARIF 2.1.0 output of `sbxc check --format sarif`, for code-scanning services.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "classifier/classify.h"

namespace sbx::cli {

// One log with one run: tool metadata and every rule (front-end codes and classifier rules) with
// its help; a result per finding with its location, related locations, a partial fingerprint that
// survives line moves, and in-source suppressions with their justification.
nlohmann::ordered_json toSarif(const std::vector<classifier::Finding>& findings, const SourceManager& sources);

}  // namespace sbx::cli
