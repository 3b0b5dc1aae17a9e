#include "diag/diagnostic.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace sbx {

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::Note:
      return "note";
    case Severity::Warning:
      return "warning";
    case Severity::Error:
      return "error";
  }
  return "error";
}

std::optional<Severity> parseSeverity(std::string_view text) {
  if (text == "note") return Severity::Note;
  if (text == "warning") return Severity::Warning;
  if (text == "error") return Severity::Error;
  return std::nullopt;
}

const std::vector<CodeInfo>& frontEndCodes() {
  static const std::vector<CodeInfo> codes = {
#define SBX_DIAGNOSTIC(number, identifier, name, severity, summary) {number, name, Severity::severity, summary},
#include "diag/codes.def"
#undef SBX_DIAGNOSTIC
  };
  return codes;
}

const CodeInfo& codeInfo(Code code) {
  const auto& codes = frontEndCodes();
  auto it =
      std::find_if(codes.begin(), codes.end(), [&](const CodeInfo& c) { return c.number == static_cast<int>(code); });
  return *it;  // every Code comes from the same table
}

std::string codeId(int number) {
  return fmt::format("SBX{:04}", number);
}

Diagnostic makeDiagnostic(Code code, Span span, std::string message) {
  const CodeInfo& info = codeInfo(code);
  Diagnostic d;
  d.id = codeId(info.number);
  d.name = std::string(info.name);
  d.severity = info.severity;
  d.message = std::move(message);
  d.span = span;
  return d;
}

Diagnostic& DiagnosticSink::report(Code code, Span span, std::string message) {
  return add(makeDiagnostic(code, span, std::move(message)));
}

Diagnostic& DiagnosticSink::add(Diagnostic d) {
  diagnostics_.push_back(std::move(d));
  return diagnostics_.back();
}

std::size_t DiagnosticSink::errorCount() const {
  return static_cast<std::size_t>(std::count_if(diagnostics_.begin(), diagnostics_.end(),
                                                [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

std::vector<Diagnostic> DiagnosticSink::sorted() const {
  std::vector<Diagnostic> out = diagnostics_;
  auto key = [](const Diagnostic& d) { return std::tie(d.span.file, d.span.line, d.span.col, d.id); };
  std::stable_sort(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.span.file, a.span.line, a.span.col, a.id, a.message) <
           std::tie(b.span.file, b.span.line, b.span.col, b.id, b.message);
  });
  // One report per place and code: a profile shared by several tasks is wrong once, not per task.
  // (Spanless diagnostics, such as unreadable files, are all kept.)
  out.erase(std::unique(out.begin(), out.end(),
                        [&](const Diagnostic& a, const Diagnostic& b) { return a.span.valid() && key(a) == key(b); }),
            out.end());
  return out;
}

// The fuzzer learns nothing from the comparisons of an edit distance's arithmetic, and tracing
// them took a quarter of its time (docs/fuzzing.md): these functions stay out of its coverage.
#if defined(__clang__)
#define SBX_NOT_TRACED __attribute__((no_sanitize("coverage")))
#else
#define SBX_NOT_TRACED
#endif

namespace {

// `s` in lower case: in `buffer` when it fits (names are short, and each unknown name is compared
// with every candidate), else in `spill`.
SBX_NOT_TRACED std::string_view lowered(std::string_view s, std::array<char, 64>& buffer, std::string& spill) {
  char* out = buffer.data();
  if (s.size() > buffer.size()) {
    spill.assign(s);
    out = spill.data();
  }
  for (std::size_t i = 0; i < s.size(); ++i)
    out[i] = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
  return {out, s.size()};
}

}  // namespace

// Optimal string alignment distance, case-insensitive: a swap of two neighbours counts once.
// Stops as soon as every alignment costs more than `limit` (then returns limit + 1): a hostile
// policy's megabyte-long name is compared against each candidate in the first rows only.
SBX_NOT_TRACED std::size_t editDistance(std::string_view aText, std::string_view bText, std::size_t limit) {
  std::size_t gap = aText.size() > bText.size() ? aText.size() - bText.size() : bText.size() - aText.size();
  if (gap > limit) return limit + 1;
  std::array<char, 64> aBuffer, bBuffer;
  std::string aSpill, bSpill;
  std::string_view a = lowered(aText, aBuffer, aSpill), b = lowered(bText, bBuffer, bSpill);
  // A lower bound first, in one pass over each word: an edit changes at most one letter each of
  // what `a` has more of and what `b` has more of (bag distance; a swap changes neither). Most
  // candidates of a "did you mean" are ruled out here, before the table below.
  std::array<int, 256> surplus{};
  for (unsigned char c : a) ++surplus[c];
  for (unsigned char c : b) --surplus[c];
  std::size_t moreInA = 0, moreInB = 0;
  for (unsigned char c : a)
    if (surplus[c] > 0) moreInA += static_cast<std::size_t>(std::exchange(surplus[c], 0));
  for (unsigned char c : b)
    if (surplus[c] < 0) moreInB += static_cast<std::size_t>(-std::exchange(surplus[c], 0));
  if (moreInA > limit || moreInB > limit) return limit + 1;
  // Three rolling rows: the one before the previous is needed for transpositions. Names are
  // short; a candidate list of every syscall is compared against each unknown name, so the
  // rows live on the stack unless a word is long.
  std::array<std::size_t, 3 * 64> small{};
  std::vector<std::size_t> large(b.size() < 64 ? 0 : 3 * (b.size() + 1));
  std::size_t* before = b.size() < 64 ? small.data() : large.data();
  std::size_t* previous = before + b.size() + 1;
  std::size_t* current = previous + b.size() + 1;
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  std::size_t previousBest = 0;  // the smallest entry of `previous`
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    std::size_t rowBest = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      // Plain comparisons, not std::min({...}): its out-of-line min_element would be traced.
      std::size_t best = previous[j - 1] + cost;
      if (previous[j] + 1 < best) best = previous[j] + 1;
      if (current[j - 1] + 1 < best) best = current[j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && before[j - 2] + 1 < best)
        best = before[j - 2] + 1;
      current[j] = best;
      if (best < rowBest) rowBest = best;
    }
    // A transposition reaches back two rows, so stop only when both rows are past the limit.
    if (rowBest > limit && previousBest > limit) return limit + 1;
    previousBest = rowBest;
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], limit + 1);
}

SBX_NOT_TRACED std::optional<std::string> closestMatch(std::string_view word,
                                                       const std::vector<std::string>& candidates) {
  // Accept roughly one typo per three characters, as compilers commonly do.
  std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t bestDistance = limit + 1;
  for (const auto& candidate : candidates) {
    if (candidate == word) continue;
    std::size_t d = editDistance(word, candidate, bestDistance - 1);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
    if (bestDistance == 0) break;  // the same word in another case: nothing is closer
  }
  return best;
}

}  // namespace sbx
