// sbxc man [COMMAND] | sbxc man --dir DIR: man pages (troff, section 1) generated from the
// commands' help texts (help_text.h): sbxc(1) lists the commands, sbxc-COMMAND(1) is one
// command's usage, description, options and exit status.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/help_text.h"
#include "cli/options.h"
#include "util/atomic_file.h"
#include "version.h"

namespace sbx::cli {

namespace {

// Text as troff reads it: backslashes and hyphens escaped, no line starting a request.
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string header(const std::string& name, std::string_view summary) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return fmt::format(".TH {} 1 \"\" \"sbxc {}\" \"sbxc manual\"\n.SH NAME\n{} \\- {}\n", upper, SBXC_VERSION,
                     roff(name), roff(summary));
}

std::string overviewPage() {
  std::string page = header("sbxc", "policy compiler and risk-tier classifier for AI-agent tasks");
  page += ".SH SYNOPSIS\n.B sbxc\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n.SH COMMANDS\n";
  for (const auto& c : commands()) page += fmt::format(".TP\n.BR sbxc\\-{} (1)\n{}\n", roff(c.name), roff(c.summary));
  page += ".SH SEE ALSO\n";
  for (std::size_t i = 0; i < commands().size(); ++i)
    page += fmt::format(".BR sbxc\\-{} (1){}\n", roff(commands()[i].name), i + 1 < commands().size() ? "," : "");
  return page;
}

std::string commandPage(const Command& c) {
  HelpText help = readHelp(c.help);
  std::string page = header(fmt::format("sbxc-{}", c.name), c.summary);
  page += ".SH SYNOPSIS\n.nf\n";
  for (const auto& u : help.usage) page += roff(u) + "\n";
  page += ".fi\n.SH DESCRIPTION\n";
  for (std::size_t i = 0; i < help.description.size(); ++i)
    page += (i ? ".PP\n" : "") + roff(help.description[i]) + "\n";
  if (!help.options.empty()) {
    page += ".SH OPTIONS\n";
    for (const auto& o : help.options)
      page += fmt::format(".TP\n.B {}{}\n{}\n", roff(o.name), o.value.empty() ? "" : " \\fI" + roff(o.value) + "\\fR",
                          roff(o.description));
  }
  if (!help.exit.empty()) page += ".SH EXIT STATUS\n" + roff(help.exit) + "\n";
  page += ".SH SEE ALSO\n.BR sbxc (1)\n";
  return page;
}

}  // namespace

int runMan(const std::vector<std::string>& argv) {
  auto args = parseArgs("man", argv, {{"--dir", true, {}}});
  if (!args) return kUsageOrIo;
  if (args->has("--dir")) {
    if (!args->positionals.empty()) return usageError("man", "--dir writes every page: name no command with it");
    std::string dir = args->get("--dir", "");
    std::vector<PendingFile> files{{dir + "/sbxc.1", overviewPage(), 0644, dir}};
    for (const auto& c : commands())
      files.push_back({fmt::format("{}/sbxc-{}.1", dir, c.name), commandPage(c), 0644, dir});
    std::string error;
    if (!writeFilesAtomically(files, error)) {
      fmt::print(stderr, "sbxc man: {}\n", error);
      return kUsageOrIo;
    }
    return kOk;
  }
  if (args->positionals.empty()) {
    fmt::print("{}", overviewPage());
    return kOk;
  }
  if (args->positionals.size() > 1) return usageError("man", "name one command, or none for sbxc(1)");
  for (const auto& c : commands())
    if (c.name == args->positionals[0]) {
      fmt::print("{}", commandPage(c));
      return kOk;
    }
  return usageError("man", fmt::format("no command `{}`; `sbxc --help` lists them", args->positionals[0]));
}

}  // namespace sbx::cli
