#include "cli/policy_test_file.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "classifier/rule_table.h"
#include "frontend/syscall_table.h"
#include "frontend/values.h"

namespace sbx::cli {

namespace {

struct Word {
  std::string text;  // a quoted word without its quotes
  std::uint32_t col = 0, endCol = 0;
  bool quoted = false;
};

// The forms of each kind of line, for the help of a malformed one.
constexpr const char* kForms[] = {
    "task NAME",
    "tier T0|T1|T2|T3|T4",
    "finding SBXnnnn|RULE-NAME fires|absent",
    "read|write|exec \"/PATH\" allowed|refused",
    "connect HOST:PORT [tool NAME] allowed|refused",
    "request METHOD URL tool NAME allowed|refused|approval",
    "syscall NAME[(ARG, ...)] allow|errno [ERRNO]|kill|trap|log|notify",
    "delegation TASK passes no credential|passes credential",
};

class LineParser {
 public:
  LineParser(FileId file, std::uint32_t line, DiagnosticSink& diags) : file_(file), line_(line), diags_(diags) {}

  Span span(std::uint32_t col, std::uint32_t endCol) const { return {file_, line_, col, line_, endCol}; }
  Span spanOf(const Word& w) const { return span(w.col, w.endCol); }

  // Splits at blanks; "..." is one word, and so is NAME(...) up to its closing parenthesis.
  // Returns false (after a diagnostic) on an unclosed quote or parenthesis.
  bool split(std::string_view text, std::vector<Word>& words) {
    std::size_t i = 0;
    while (i < text.size()) {
      if (text[i] == ' ' || text[i] == '\t') {
        ++i;
        continue;
      }
      if (text[i] == '#') break;
      Word w;
      w.col = static_cast<std::uint32_t>(i + 1);
      if (text[i] == '"') {
        std::size_t close = text.find('"', i + 1);
        if (close == std::string_view::npos)
          return fail(span(w.col, static_cast<std::uint32_t>(text.size() + 1)), "this string is not closed",
                      "end it with `\"` on the same line");
        w.text = std::string(text.substr(i + 1, close - i - 1));
        w.quoted = true;
        i = close + 1;
      } else {
        std::size_t start = i;
        int depth = 0;
        while (i < text.size() && (depth > 0 || (text[i] != ' ' && text[i] != '\t' && text[i] != '#'))) {
          depth += text[i] == '(';
          depth -= text[i] == ')';
          ++i;
        }
        if (depth > 0)
          return fail(span(w.col, static_cast<std::uint32_t>(text.size() + 1)), "this `(` is not closed",
                      "close the argument list with `)`");
        w.text = std::string(text.substr(start, i - start));
      }
      w.endCol = static_cast<std::uint32_t>(i + 1);
      words.push_back(std::move(w));
    }
    return true;
  }

  bool fail(Span where, const std::string& what, const std::string& fix) {
    diags_.report(Code::InvalidPolicyTest, where, what).help(fix);
    return false;
  }

  DiagnosticSink& diags() { return diags_; }

 private:
  FileId file_;
  std::uint32_t line_;
  DiagnosticSink& diags_;
};

// Decimal or 0x hex; a negative number as the 64-bit two's complement a sign-extending C library
// passes (-100 for AT_FDCWD).
std::optional<std::uint64_t> parseNumber(std::string_view text) {
  bool negative = text.starts_with("-");
  if (negative) text.remove_prefix(1);
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    base = 16;
    text.remove_prefix(2);
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return negative ? ~value + 1 : value;
}

// A syscall argument: a number, a constant of the language (AF_INET, O_RDONLY, ...), or several
// joined with `|`.
std::optional<std::uint64_t> parseArgument(std::string_view text) {
  std::uint64_t value = 0;
  while (!text.empty()) {
    std::size_t bar = text.find('|');
    std::string_view part = text.substr(0, bar);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto one = parseNumber(part);
    if (!one) one = frontend::lookupConstant(part);
    if (!one) return std::nullopt;
    value |= *one;
    if (bar == std::string_view::npos) break;
    text.remove_prefix(bar + 1);
  }
  return value;
}

// "host:port" or "[v6]:port" with a port 1-65535.
bool splitHostPort(const std::string& text, std::string& host, std::uint16_t& port) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto number = parseNumber(std::string_view(text).substr(colon + 1));
  if (!number || *number == 0 || *number > 65535 || host.empty()) return false;
  port = static_cast<std::uint16_t>(*number);
  return true;
}

// The last word is the verdict; `choices` are its spellings.
bool verdictOf(LineParser& p, const Word& w, const std::vector<std::pair<std::string, Verdict>>& choices,
               Verdict& out) {
  std::string names;
  for (const auto& [name, verdict] : choices) {
    if (w.text == name) {
      out = verdict;
      return true;
    }
    names += (names.empty() ? "`" : ", `") + name + "`";
  }
  return p.fail(p.spanOf(w), fmt::format("`{}` is not a verdict here", w.text), "end the line with one of " + names);
}

bool parseSyscall(LineParser& p, const Word& call, Assertion& a) {
  std::string_view text = call.text;
  std::size_t open = text.find('(');
  a.syscall = std::string(text.substr(0, open));
  a.call = call.text;
  if (!frontend::syscallKnown(a.syscall)) {
    std::string fix = "name a syscall known to libseccomp";
    if (auto m = closestMatch(a.syscall, frontend::knownSyscalls())) fix = fmt::format("did you mean `{}`?", *m);
    return p.fail(p.span(call.col, call.col + static_cast<std::uint32_t>(a.syscall.size())),
                  fmt::format("unknown syscall `{}`", a.syscall), fix);
  }
  if (open == std::string_view::npos) return true;
  if (!text.ends_with(")"))
    return p.fail(p.spanOf(call), "text follows the argument list", "write the call as NAME(ARG, ...)");
  std::string_view inside = text.substr(open + 1, text.size() - open - 2);
  std::size_t offset = open + 1;
  while (!inside.empty() || offset < text.size() - 1) {
    std::size_t comma = inside.find(',');
    std::string_view arg = inside.substr(0, comma);
    std::size_t blanks = std::min(arg.find_first_not_of(' '), arg.size());
    arg.remove_prefix(blanks);
    while (!arg.empty() && arg.back() == ' ') arg.remove_suffix(1);
    auto col = static_cast<std::uint32_t>(call.col + offset + blanks);
    auto value = parseArgument(arg);
    if (!value)
      return p.fail(
          p.span(col, col + static_cast<std::uint32_t>(std::max<std::size_t>(arg.size(), 1))),
          fmt::format("`{}` is not a syscall argument", arg),
          "write a number (42, 0x2a, -100), a constant such as AF_INET or O_RDONLY, or several joined with |");
    a.args.push_back(*value);
    if (a.args.size() > 6) return p.fail(p.spanOf(call), "a syscall has at most 6 arguments", "drop the extra ones");
    if (comma == std::string_view::npos) break;
    inside.remove_prefix(comma + 1);
    offset += comma + 1;
  }
  return true;
}

bool parseSyscallAction(LineParser& p, const std::vector<Word>& w, Assertion& a) {
  static const std::vector<std::string> kActions = {"allow", "errno", "kill", "trap", "log", "notify"};
  const Word& action = w[2];
  if (std::find(kActions.begin(), kActions.end(), action.text) == kActions.end()) {
    std::string fix = "expect one of allow, errno [ERRNO], kill, trap, log, notify";
    if (auto m = closestMatch(action.text, kActions)) fix = fmt::format("did you mean `{}`?", *m);
    return p.fail(p.spanOf(action), fmt::format("`{}` is not a seccomp action", action.text), fix);
  }
  a.action = action.text;
  if (w.size() == 3) return true;
  if (a.action != "errno" || w.size() > 4)
    return p.fail(p.spanOf(w[3]), "unexpected text after the action",
                  "only `errno` takes a value (a number or a name such as EPERM)");
  auto value = parseNumber(w[3].text);
  if (!value) value = frontend::lookupConstant(w[3].text);
  if (!value || *value > 4095)
    return p.fail(p.spanOf(w[3]), fmt::format("`{}` is not an errno value", w[3].text),
                  "write a number from 0 to 4095 or a name such as EPERM");
  a.errnoValue = static_cast<int>(*value);
  return true;
}

// One assertion line (`w` has at least one word); false after a diagnostic.
bool parseAssertion(LineParser& p, const std::vector<Word>& w, Assertion& a) {
  const std::string& head = w[0].text;
  auto need = [&](std::size_t n, const char* form) {
    if (w.size() == n) return true;
    Span where = w.size() > n ? p.span(w[n].col, w.back().endCol) : p.span(w.back().endCol, w.back().endCol + 1);
    return p.fail(where, w.size() > n ? "unexpected text at the end of the line" : "this line is incomplete",
                  fmt::format("write it as: {}", form));
  };
  a.subjectSpan = w.size() > 1 ? p.spanOf(w[1]) : p.spanOf(w[0]);
  if (head == "tier") {
    a.kind = AssertionKind::Tier;
    if (!need(2, kForms[1])) return false;
    const std::string& t = w[1].text;
    if (t.size() != 2 || t[0] != 'T' || t[1] < '0' || t[1] > '4')
      return p.fail(p.spanOf(w[1]), fmt::format("`{}` is not a tier", t), "write T0, T1, T2, T3 or T4");
    a.tier = t[1] - '0';
    return true;
  }
  if (head == "finding") {
    a.kind = AssertionKind::Finding;
    if (!need(3, kForms[2])) return false;
    const classifier::Rule* rule = classifier::findRule(w[1].text);
    if (!rule || !rule->findingSeverity()) {
      std::vector<std::string> names;
      for (const auto& r : classifier::rules())
        if (r.findingSeverity()) names.emplace_back(r.name);
      auto m = closestMatch(w[1].text, names);
      return p.fail(p.spanOf(w[1]), fmt::format("`{}` is not a rule that reports findings", w[1].text),
                    m ? fmt::format("did you mean `{}`?", *m)
                      : "name a finding by ID or name (SBX12nn); `sbxc rules` lists them, with their severity");
    }
    a.rule = rule->id();
    if (w[2].text != "fires" && w[2].text != "absent")
      return p.fail(p.spanOf(w[2]), fmt::format("`{}` is not a verdict here", w[2].text),
                    "end the line with `fires` or `absent`");
    a.fires = w[2].text == "fires";
    return true;
  }
  if (head == "read" || head == "write" || head == "exec") {
    a.kind = AssertionKind::Path;
    a.access = head == "read" ? PathAccess::Read : head == "write" ? PathAccess::Write : PathAccess::Exec;
    if (!need(3, kForms[3])) return false;
    auto path = frontend::checkPath(w[1].text, p.spanOf(w[1]), p.diags());
    if (!path) return false;
    a.path = *path;
    return verdictOf(p, w[2], {{"allowed", Verdict::Allowed}, {"refused", Verdict::Refused}}, a.verdict);
  }
  if (head == "request") {
    a.kind = AssertionKind::Request;
    if (w.size() != 6 || w[3].text != "tool")
      return p.fail(p.span(w[0].col, w.back().endCol), "this request assertion is malformed",
                    fmt::format("write it as: {}", kForms[5]));
    a.method = w[1].text;
    if (!std::all_of(a.method.begin(), a.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      return p.fail(p.spanOf(w[1]), fmt::format("`{}` is not an HTTP method", a.method),
                    "write it in upper case, as the request rules do: GET, POST, PATCH, DELETE, ...");
    a.url = w[2].text;
    a.urlSpan = p.spanOf(w[2]);
    a.tool = w[4].text;
    a.subjectSpan = p.spanOf(w[4]);
    return verdictOf(p, w[5],
                     {{"allowed", Verdict::Allowed}, {"refused", Verdict::Refused}, {"approval", Verdict::Approval}},
                     a.verdict);
  }
  if (head == "connect") {
    a.kind = AssertionKind::Connect;
    bool byTool = w.size() > 2 && w[2].text == "tool";
    if (!need(byTool ? 5 : 3, kForms[4])) return false;
    if (!splitHostPort(w[1].text, a.host, a.port))
      return p.fail(p.spanOf(w[1]), fmt::format("`{}` is not a destination", w[1].text),
                    "write HOST:PORT, e.g. api.github.com:443 or [2001:db8::1]:443");
    if (byTool) {
      a.tool = w[3].text;
      a.subjectSpan = p.spanOf(w[3]);
    }
    return verdictOf(p, w.back(), {{"allowed", Verdict::Allowed}, {"refused", Verdict::Refused}}, a.verdict);
  }
  if (head == "syscall") {
    a.kind = AssertionKind::Syscall;
    if (w.size() < 3) return need(3, kForms[6]);
    return parseSyscall(p, w[1], a) && parseSyscallAction(p, w, a);
  }
  if (head == "delegation") {
    a.kind = AssertionKind::Delegation;
    a.delegation = w.size() > 1 ? w[1].text : "";
    bool none = w.size() == 5 && w[2].text == "passes" && w[3].text == "no" && w[4].text == "credential";
    bool some = w.size() == 4 && w[2].text == "passes" && w[3].text == "credential";
    if (!none && !some)
      return p.fail(p.span(w[0].col, w.back().endCol), "a delegation assertion reads `passes no credential`",
                    fmt::format("write it as: {}", kForms[7]));
    a.passesCredential = some;
    return true;
  }
  std::vector<std::string> heads = {"task", "tier",    "finding", "read",    "write",
                                    "exec", "connect", "request", "syscall", "delegation"};
  std::string fix =
      "a line starts with one of: task, tier, finding, read, write, exec, connect, request, syscall, "
      "delegation";
  if (auto m = closestMatch(head, heads)) fix = fmt::format("did you mean `{}`?", *m);
  return p.fail(p.spanOf(w[0]), fmt::format("`{}` is not an assertion", head), fix);
}

}  // namespace

std::string verdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::Allowed:
      return "allowed";
    case Verdict::Refused:
      return "refused";
    case Verdict::Approval:
      return "approval";
  }
  return "";
}

std::vector<Assertion> parsePolicyTests(FileId file, const SourceManager& sources, DiagnosticSink& diags) {
  std::vector<Assertion> out;
  std::string_view text = sources.file(file).text;
  std::string task;
  Span taskSpan;
  std::uint32_t line = 0;
  while (!text.empty()) {
    ++line;
    std::size_t end = text.find('\n');
    std::string_view lineText = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    LineParser p(file, line, diags);
    std::vector<Word> words;
    if (!p.split(lineText, words) || words.empty()) continue;
    if (words[0].text == "task") {
      if (words.size() != 2)
        p.fail(p.span(words[0].col, words.back().endCol + (words.size() == 1)), "a task line names one task",
               fmt::format("write it as: {}", kForms[0]));
      else
        task = words[1].text, taskSpan = p.spanOf(words[1]);  // checked against the policy later
      continue;
    }
    Assertion a;
    a.span = p.span(words[0].col, words.back().endCol);
    a.text = std::string(lineText.substr(words[0].col - 1, words.back().endCol - words[0].col));
    a.task = task;
    a.taskSpan = taskSpan;
    if (!parseAssertion(p, words, a)) continue;
    if (task.empty()) {
      p.fail(p.spanOf(words[0]), "this assertion comes before any `task` line",
             "name the task it is about first: task NAME");
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace sbx::cli
