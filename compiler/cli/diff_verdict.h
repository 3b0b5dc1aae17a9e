// `sbxc diff`'s verdict on a change: whether the new policy adds authority, removes it only, or
// grants the same, decided by `sbxc prove implies` (prove/authority_compare.h) on each root task
// compiled on both sides.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "model/model.h"

namespace sbx::cli {

struct DiffVerdict {
  enum class Kind { Same, RemovesOnly, Adds, Undecided } kind = Kind::Same;
  std::string why;  // Adds: the first counterexample; RemovesOnly: what goes; Undecided: why
};

DiffVerdict diffVerdict(const model::Model& oldModel, const model::Model& newModel);

std::string verdictText(const DiffVerdict& verdict);
nlohmann::ordered_json verdictJson(const DiffVerdict& verdict);

}  // namespace sbx::cli
