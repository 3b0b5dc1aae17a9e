// Diagnostics: what is wrong, where, why, and how to fix it.
#pragma once
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/source.h"

namespace sbx {

enum class Severity { Note, Warning, Error };

std::string_view severityName(Severity s);
std::optional<Severity> parseSeverity(std::string_view text);

// Front-end diagnostic codes, generated from codes.def.
enum class Code {
#define SBX_DIAGNOSTIC(number, identifier, name, severity, summary) identifier = number,
#include "diag/codes.def"
#undef SBX_DIAGNOSTIC
};

struct CodeInfo {
  int number;
  std::string_view name;
  Severity severity;
  std::string_view summary;
};
const std::vector<CodeInfo>& frontEndCodes();
const CodeInfo& codeInfo(Code code);
std::string codeId(int number);  // 42 -> "SBX0042"

struct Label {
  Span span;
  std::string message;
};

struct Diagnostic {
  std::string id;    // "SBX0042"
  std::string name;  // "invalid-path"
  Severity severity = Severity::Error;
  std::string message;
  Span span;
  std::vector<Label> labels;  // secondary locations ("first declared here")
  std::vector<std::string> notes;
  std::vector<std::string> helps;

  Diagnostic& note(std::string text) {
    notes.push_back(std::move(text));
    return *this;
  }
  Diagnostic& help(std::string text) {
    helps.push_back(std::move(text));
    return *this;
  }
  Diagnostic& label(Span s, std::string text) {
    labels.push_back({s, std::move(text)});
    return *this;
  }
};

Diagnostic makeDiagnostic(Code code, Span span, std::string message);

// Collects diagnostics; every stage reports here and goes on, so one run shows every error.
class DiagnosticSink {
 public:
  Diagnostic& report(Code code, Span span, std::string message);
  Diagnostic& add(Diagnostic d);
  const std::vector<Diagnostic>& all() const { return diagnostics_; }
  std::size_t errorCount() const;
  bool hasErrors() const { return errorCount() > 0; }
  // Sorted by file, position and code, duplicates removed: the order users and goldens see.
  std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> diagnostics_;
};

// "did you mean" support: the candidates closest to `word` (case-insensitive edit distance).
std::optional<std::string> closestMatch(std::string_view word, const std::vector<std::string>& candidates);
// At most limit + 1: a distance past `limit` is not computed exactly.
std::size_t editDistance(std::string_view a, std::string_view b,
                         std::size_t limit = std::numeric_limits<std::size_t>::max() - 1);

}  // namespace sbx
