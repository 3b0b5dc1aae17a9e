#include "frontend/ast.h"

#include <filesystem>

namespace sbx::ast {

std::string QualifiedName::joined() const {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ".") + p.text;
  return out;
}

std::string Import::aliasName() const {
  if (alias) return alias->text;
  if (stdlib) return module.parts.empty() ? "" : module.parts.back().text;
  return std::filesystem::path(path.value).stem().string();
}

}  // namespace sbx::ast
