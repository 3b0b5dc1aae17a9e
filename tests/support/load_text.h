// Front-end tests: a policy text loaded in a session of its own, and the ids of its diagnostics.
// Header-only: only the test binaries that link the front end include it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "frontend/frontend.h"

namespace sbx::test {

struct Loaded {
  frontend::Session session;
  frontend::Result result;
};

inline std::unique_ptr<Loaded> load(const std::string& text) {
  auto l = std::make_unique<Loaded>();
  l->result = l->session.loadText("test.sbx", text);
  return l;
}

inline std::vector<std::string> ids(const frontend::Result& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.sorted()) out.push_back(d.id);
  return out;
}

}  // namespace sbx::test
