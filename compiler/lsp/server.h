// `sbxc lsp`: a language server for .sbx policies over stdin and stdout (docs/editors.md).
// Each change of a document is checked as `sbxc check` checks a file (driver/check.h) and its
// diagnostics published with the same codes and spans; hover, completion, go to definition,
// formatting and quick fixes answer from the same front end (navigation.h, edits.h).
#pragma once
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diag/diagnostic.h"
#include "lsp/document.h"

namespace sbx::lsp {

struct Checked {
  std::vector<Diagnostic> diagnostics;    // of the document's own file
  std::vector<nlohmann::json> published;  // the same, as published
};

class Server {
 public:
  // Serves until `exit` or the end of the input; the exit code (0 after shutdown, else 1).
  int run(std::FILE* in, std::FILE* out);

 private:
  // The response to a request (nullopt for a notification).
  std::optional<nlohmann::json> handle(const nlohmann::json& message);
  nlohmann::json dispatch(const std::string& method, const nlohmann::json& params);
  void check(const std::string& uri);

  std::FILE* out_ = nullptr;
  std::map<std::string, Document> documents_;
  std::map<std::string, Checked> checked_;
  bool shutdown_ = false, exit_ = false;
};

}  // namespace sbx::lsp
