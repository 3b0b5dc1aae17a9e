// `sbxc explain`'s section on what sbx-run's inspecting proxy enforces for a task: each request
// rule of each tool that speaks HTTP(S), its action's approval, and the secrets it injects.
#pragma once
#include <string>

#include "model/model.h"

namespace sbx::classifier {

// Empty for a task without request rules or injected secrets.
std::string requestRulesText(const model::ResolvedTask& task);

}  // namespace sbx::classifier
