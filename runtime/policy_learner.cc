#include "runtime/policy_learner.h"

#include <filesystem>

#include <fmt/format.h>

#include "util/atomic_file.h"

namespace sbx::run {

namespace {

// A .sbx comment takes printable ASCII only (docs/language.md, "Lexical rules": control and
// invisible characters are refused even in comments); anything else becomes '?'.
std::string commentText(const std::string& text) {
  std::string out;
  for (unsigned char c : text) out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return out;
}

std::string shellWord(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                              "-_./=:,+@%") == std::string::npos)
    return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

void PolicyLearner::syscall(const std::string& name) {
  std::lock_guard lock(mutex_);
  syscalls_.insert(name);
}

void PolicyLearner::note(const std::string& text) {
  std::lock_guard lock(mutex_);
  notes_.insert(text);
}

void PolicyLearner::destination(const std::string& hostPort) {
  std::lock_guard lock(mutex_);
  destinations_.insert(hostPort);
}

bool PolicyLearner::empty() const {
  std::lock_guard lock(mutex_);
  return syscalls_.empty() && destinations_.empty() && notes_.empty();
}

std::string PolicyLearner::profileName(const std::string& task) {
  std::string name = "learned_";
  for (char c : task) name += (c == '-' || c == '.') ? '_' : c;  // a qualified name's dots too
  return name;
}

std::string PolicyLearner::fragment(const std::string& task, const std::vector<std::string>& command) const {
  std::lock_guard lock(mutex_);
  std::string words;
  for (const auto& w : command) words += (words.empty() ? "" : " ") + shellWord(w);
  std::string text = fmt::format(
      "# Learned by `sbx-run --learn` for task {}, running:\n"
      "#   {}\n"
      "# What the task's policy denied during that one run, as the smallest additions that allow it.\n"
      "# Nothing was enforced while learning. Review every line before using it: a run that was\n"
      "# attacked, or took an unusual path, teaches the wrong policy. File accesses are not learned.\n"
      "# A syscall the task itself denies by name is not overridden by a profile: edit that rule.\n",
      commentText(task), commentText(words));
  for (const auto& n : notes_) text += "# not learned: " + commentText(n) + "\n";
  text += fmt::format("profile {} {{\n", profileName(task));
  if (!syscalls_.empty()) {
    text += "  syscalls {\n";
    for (const auto& s : syscalls_) text += fmt::format("    allow {}\n", s);
    text += "  }\n";
  }
  for (const auto& d : destinations_) text += fmt::format("  connect \"{}\"\n", d);
  return text + "}\n";
}

bool writeLearnedPolicy(const PolicyLearner& learner, const std::string& path, const std::string& task,
                        const std::vector<std::string>& command, std::string& error) {
  return writeFilesAtomically({{path, learner.fragment(task, command)}}, error);
}

}  // namespace sbx::run
