#include "importers/docker_seccomp.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "frontend/syscall_table.h"
#include "frontend/values.h"

namespace sbx::importers {

const std::vector<std::string>& dockerDefaultCapabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

namespace {

using Json = nlohmann::json;

// A value the profile format does not allow, located by its JSON pointer.
struct BadProfile {
  std::string pointer;
  std::string message;
};

// Docker's architecture names (the `arches` of includes / excludes) for each target.
const char* dockerArchName(model::Arch arch) {
  return arch == model::Arch::X86_64 ? "amd64" : "arm64";
}

struct ProfileAction {
  std::string sbx;   // "allow", "errno EPERM", ...
  std::string note;  // set when the .sbx action only approximates the profile's
};

std::string errnoText(std::uint64_t value) {
  // The symbolic name where the language knows it (errno EPERM), the number otherwise.
  if (value < 4096)
    if (const char* name = strerrorname_np(static_cast<int>(value)))
      if (frontend::lookupConstant(name) == value) return name;
  return std::to_string(value);
}

std::uint64_t unsignedAt(const Json& node, const std::string& pointer) {
  if (!node.is_number_unsigned() && !(node.is_number_integer() && node.get<std::int64_t>() >= 0))
    throw BadProfile{pointer, "expected a non-negative integer"};
  return node.get<std::uint64_t>();
}

// `name` is the action's JSON node, found at `pointer`; `errnoValue` what SCMP_ACT_ERRNO returns.
ProfileAction actionOf(const Json& name, const std::string& pointer, std::uint64_t errnoValue) {
  if (!name.is_string()) throw BadProfile{pointer, "expected an action name"};
  std::string a = name.get<std::string>();
  if (a == "SCMP_ACT_ALLOW") return {"allow", ""};
  if (a == "SCMP_ACT_ERRNO") return {"errno " + errnoText(errnoValue), ""};
  if (a == "SCMP_ACT_KILL_PROCESS") return {"kill", ""};
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD")
    return {"kill", fmt::format("{} kills one thread; .sbx `kill` kills the whole process", a)};
  if (a == "SCMP_ACT_TRAP") return {"trap", ""};
  if (a == "SCMP_ACT_LOG") return {"log", ""};
  if (a == "SCMP_ACT_NOTIFY") return {"notify", ""};
  // Without a tracer attached, SECCOMP_RET_TRACE makes the syscall fail with ENOSYS.
  if (a == "SCMP_ACT_TRACE")
    return {"errno ENOSYS", "SCMP_ACT_TRACE becomes errno ENOSYS, its result without a tracer"};
  throw BadProfile{pointer, fmt::format("unknown action `{}`; expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
                                        "SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE, "
                                        "SCMP_ACT_LOG or SCMP_ACT_NOTIFY",
                                        a)};
}

std::vector<std::string> stringsAt(const Json& node, const std::string& pointer) {
  if (node.is_null()) return {};
  if (!node.is_array()) throw BadProfile{pointer, "expected an array of strings"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].is_string()) throw BadProfile{fmt::format("{}/{}", pointer, i), "expected a string"};
    out.push_back(node[i].get<std::string>());
  }
  return out;
}

// Small values (socket families, personality flags) read best in decimal, masks and addresses in hex.
std::string number(std::uint64_t value) {
  return value < 0x10000 ? fmt::format("{}", value) : fmt::format("{:#x}", value);
}

// One argument comparison, written as a .sbx condition: as wide as the kernel reads the argument
// (sbxc's default), or on all 64 bits (`:64`), as libseccomp compares every argument.
std::string conditionOf(const Json& arg, const std::string& pointer, bool sixtyFour, unsigned& index) {
  if (!arg.is_object()) throw BadProfile{pointer, "expected an argument comparison object"};
  if (!arg.contains("index")) throw BadProfile{pointer, "missing `index`"};
  index = static_cast<unsigned>(unsignedAt(arg["index"], pointer + "/index"));
  if (index > 5) throw BadProfile{pointer + "/index", fmt::format("argument index {} (0 to 5 allowed)", index)};
  std::uint64_t value = arg.contains("value") ? unsignedAt(arg["value"], pointer + "/value") : 0;
  std::uint64_t valueTwo = arg.contains("valueTwo") ? unsignedAt(arg["valueTwo"], pointer + "/valueTwo") : 0;
  if (!arg.contains("op") || !arg["op"].is_string()) throw BadProfile{pointer + "/op", "expected an operator name"};
  std::string op = arg["op"].get<std::string>();
  static const std::map<std::string, std::string> ops = {{"SCMP_CMP_NE", "!="}, {"SCMP_CMP_LT", "<"},
                                                         {"SCMP_CMP_LE", "<="}, {"SCMP_CMP_EQ", "=="},
                                                         {"SCMP_CMP_GE", ">="}, {"SCMP_CMP_GT", ">"}};
  std::string argument = fmt::format("arg{}{}", index, sixtyFour ? ":64" : "");
  if (op == "SCMP_CMP_MASKED_EQ") return fmt::format("{} & {:#x} == {}", argument, value, number(valueTwo));
  auto it = ops.find(op);
  if (it == ops.end())
    throw BadProfile{pointer + "/op", fmt::format("unknown operator `{}`; expected SCMP_CMP_NE, SCMP_CMP_LT, "
                                                  "SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT or "
                                                  "SCMP_CMP_MASKED_EQ",
                                                  op)};
  return fmt::format("{} {} {}", argument, it->second, number(value));
}

// Appends `words` after `head`, wrapped at 100 columns with a 6-space continuation indent.
std::string wrapped(const std::string& head, const std::vector<std::string>& words, const std::string& tail) {
  std::string out = head, line = head;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string word = words[i] + (i + 1 < words.size() ? "," : "");
    if (line.size() + 1 + word.size() > 100) {
      out += "\n      ";
      line = "      ";
    } else {
      out += " ";
      line += " ";
    }
    out += word;
    line += word;
  }
  return out + tail + "\n";
}

class Importer {
 public:
  Importer(const DockerImportOptions& options, DockerImport& out) : options_(options), out_(out) {}

  void run(const Json& profile) {
    if (!profile.is_object()) throw BadProfile{"", "expected a seccomp profile object"};
    std::uint64_t defaultErrno = 1;  // EPERM, as runc and crun use without defaultErrnoRet
    if (profile.contains("defaultErrnoRet") && !profile["defaultErrnoRet"].is_null())
      defaultErrno = unsignedAt(profile["defaultErrnoRet"], "/defaultErrnoRet");
    ProfileAction fallback = actionOf(profile.value("defaultAction", Json()), "/defaultAction", defaultErrno);
    noteArchitectures(profile);
    if (profile.contains("syscalls") && !profile["syscalls"].is_array())
      throw BadProfile{"/syscalls", "expected an array of rules"};
    std::string rules;
    if (profile.contains("syscalls"))
      for (std::size_t i = 0; i < profile["syscalls"].size(); ++i)
        rules += ruleText(profile["syscalls"][i], fmt::format("/syscalls/{}", i), defaultErrno);
    if (!unknownNames_.empty())
      out_.notes.push_back(
          fmt::format("left out, as libseccomp's {} table lacks them (other architectures' "
                      "syscalls, or newer than it): {}",
                      model::nameOf(options_.arch), fmt::join(unknownNames_, ", ")));
    out_.sbx = header() + "    default " + fallback.sbx + "\n" + rules + "  }\n}\n";
    if (!fallback.note.empty()) out_.notes.push_back("defaultAction: " + fallback.note);
  }

 private:
  void noteArchitectures(const Json& profile) {
    std::vector<std::string> arches;
    if (profile.contains("architectures")) arches = stringsAt(profile["architectures"], "/architectures");
    if (profile.contains("archMap")) {
      if (!profile["archMap"].is_array()) throw BadProfile{"/archMap", "expected an array"};
      for (std::size_t i = 0; i < profile["archMap"].size(); ++i) {
        std::string p = fmt::format("/archMap/{}", i);
        const Json& entry = profile["archMap"][i];
        if (!entry.is_object() || !entry.contains("architecture") || !entry["architecture"].is_string())
          throw BadProfile{p, "expected {\"architecture\": ..., \"subArchitectures\": [...]}"};
        arches.push_back(entry["architecture"].get<std::string>());
        if (entry.contains("subArchitectures"))
          for (auto& s : stringsAt(entry["subArchitectures"], p + "/subArchitectures")) arches.push_back(s);
      }
    }
    std::string mine = options_.arch == model::Arch::X86_64 ? "SCMP_ARCH_X86_64" : "SCMP_ARCH_AARCH64";
    std::vector<std::string> others;
    for (const auto& a : arches)
      if (a != mine && std::find(others.begin(), others.end(), a) == others.end()) others.push_back(a);
    if (!others.empty())
      out_.notes.push_back(fmt::format(
          "the profile also admits {}; the task allows {} alone and kills every other architecture and the x32 ABI "
          "(`foreign-arch kill`)",
          fmt::join(others, ", "), mine));
  }

  bool hasCapability(const std::string& cap) const {
    return std::find(options_.capabilities.begin(), options_.capabilities.end(), cap) != options_.capabilities.end();
  }

  // Whether a rule's includes / excludes select it for the target; notes kernel-version conditions.
  bool applies(const Json& rule, const std::string& pointer, const std::vector<std::string>& names) {
    std::string arch = dockerArchName(options_.arch);
    for (const char* key : {"includes", "excludes"}) {
      if (!rule.contains(key) || rule[key].is_null()) continue;
      const Json& filter = rule[key];
      std::string p = pointer + "/" + key;
      if (!filter.is_object()) throw BadProfile{p, "expected an object with `caps`, `arches` or `minKernel`"};
      bool include = std::strcmp(key, "includes") == 0;
      auto caps = filter.contains("caps") ? stringsAt(filter["caps"], p + "/caps") : std::vector<std::string>{};
      auto arches = filter.contains("arches") ? stringsAt(filter["arches"], p + "/arches") : std::vector<std::string>{};
      bool archListed = std::find(arches.begin(), arches.end(), arch) != arches.end();
      if (include) {
        if (!arches.empty() && !archListed) return false;
        for (const auto& c : caps)
          if (!hasCapability(c)) {
            skippedForCapability(names, c);
            return false;
          }
        if (filter.contains("minKernel") && filter["minKernel"].is_string())
          out_.notes.push_back(
              fmt::format("kept, although the profile allows them only from kernel {} on (.sbx has "
                          "no kernel conditions): {}",
                          filter["minKernel"].get<std::string>(), fmt::join(names, ", ")));
      } else {
        if (archListed) return false;
        for (const auto& c : caps)
          if (hasCapability(c)) {
            skippedForCapability(names, c);
            return false;
          }
      }
    }
    return true;
  }

  // `names`, and the older single `name`.
  static std::vector<std::string> namesOf(const Json& rule, const std::string& pointer) {
    std::vector<std::string> names;
    if (rule.contains("names")) names = stringsAt(rule["names"], pointer + "/names");
    if (rule.contains("name") && rule["name"].is_string()) names.push_back(rule["name"].get<std::string>());
    return names;
  }

  void skippedForCapability(const std::vector<std::string>& names, const std::string& cap) {
    out_.notes.push_back(fmt::format("left out, as the rule needs {} {} the capability set: {}", cap,
                                     hasCapability(cap) ? "outside" : "in", fmt::join(names, ", ")));
  }

  std::string ruleText(const Json& rule, const std::string& pointer, std::uint64_t defaultErrno) {
    if (!rule.is_object()) throw BadProfile{pointer, "expected a rule object"};
    std::vector<std::string> names = namesOf(rule, pointer);
    if (names.empty()) throw BadProfile{pointer, "the rule names no syscall (`names`)"};
    std::uint64_t errnoValue = defaultErrno;
    if (rule.contains("errnoRet") && !rule["errnoRet"].is_null())
      errnoValue = unsignedAt(rule["errnoRet"], pointer + "/errnoRet");
    ProfileAction action = actionOf(rule.value("action", Json()), pointer + "/action", errnoValue);
    if (!applies(rule, pointer, names)) return "";
    if (!action.note.empty()) out_.notes.push_back(pointer + ": " + action.note);

    std::vector<std::string> present;
    for (const auto& n : names) {
      if (frontend::syscallNumber(options_.arch, n))
        present.push_back(n);
      else if (std::find(unknownNames_.begin(), unknownNames_.end(), n) == unknownNames_.end())
        unknownNames_.push_back(n);
    }
    if (present.empty()) return "";

    std::vector<std::string> conditions;
    std::set<unsigned> indices;
    bool repeated = false;
    if (rule.contains("args") && !rule["args"].is_null()) {
      if (!rule["args"].is_array()) throw BadProfile{pointer + "/args", "expected an array"};
      for (std::size_t i = 0; i < rule["args"].size(); ++i) {
        unsigned index = 0;
        conditions.push_back(
            conditionOf(rule["args"][i], fmt::format("{}/args/{}", pointer, i), options_.sixtyFourBitArguments, index));
        repeated |= !indices.insert(index).second;
      }
    }
    std::string text;
    if (rule.contains("comment") && rule["comment"].is_string() && !rule["comment"].get<std::string>().empty())
      text += "    # " + rule["comment"].get<std::string>() + "\n";
    std::string head = "    " + action.sbx;
    if (conditions.empty()) return text + wrapped(head, present, "");
    // runc and crun add one rule per comparison when an argument is compared twice: any of them
    // suffices. Otherwise all comparisons must hold.
    if (repeated) {
      out_.notes.push_back(pointer +
                           ": an argument is compared more than once, so each comparison is a rule of its "
                           "own (as runc and crun load it)");
      for (const auto& c : conditions) text += wrapped(head, present, " if " + c);
      return text;
    }
    return text + wrapped(head, present, fmt::format(" if {}", fmt::join(conditions, " and ")));
  }

  std::string header() const {
    std::string name = options_.taskName;
    std::string caps;
    for (const auto& c : options_.capabilities) caps += (caps.empty() ? "" : ", ") + c;
    return fmt::format(
        "# Imported from {file} by `sbxc import docker-seccomp`.\n"
        "#\n"
        "# The profile is stated literally for {arch}: rules for other architectures, or that depend on\n"
        "# capabilities outside the set below, are left out (`sbxc import` lists them).\n"
        "{widths}"
        "#\n"
        "# The tier baselines are switched off (`baseline off`) so that this task means exactly what the\n"
        "# profile means: `sbxc compile` gives a filter equivalent to libseccomp's compilation of the\n"
        "# profile, and `sbxc check` reports what the baselines would change.\n"
        "task {name} {{\n"
        "  description \"The seccomp profile {file}, imported\"\n"
        "{capabilities}"
        "\n"
        "  syscalls {{\n"
        "    baseline off\n"
        "    arch {arch}\n"
        "    foreign-arch kill\n",
        fmt::arg("widths",
                 options_.sixtyFourBitArguments
                     ? "# Arguments are compared on all 64 bits (`:64`), as libseccomp compiles the profile.\n"
                     : "# Arguments are compared as wide as the kernel reads them: libseccomp compares all 64\n"
                       "# bits, so it also denies calls that differ from allowed ones only in bits the kernel\n"
                       "# ignores (the upper half of an `int`); use --widths libseccomp for that.\n"),
        fmt::arg("file", options_.fileName), fmt::arg("arch", model::nameOf(options_.arch)), fmt::arg("name", name),
        fmt::arg("capabilities",
                 options_.capabilities.empty()
                     ? std::string()
                     : "  # The capability set the profile was written for: without it the filter means another\n"
                       "  # thing. Each capability is a host-privilege error, which would stop the compile.\n"
                       "  @suppress(host-privilege, reason \"the capability set the imported profile was written "
                       "for\")\n" +
                           wrapped("  capability", options_.capabilities, "")));
  }

  const DockerImportOptions& options_;
  DockerImport& out_;
  std::vector<std::string> unknownNames_;
};

// "docker-default-seccomp.json" -> "docker_default_seccomp"
std::string taskNameFrom(const std::string& fileName) {
  std::string stem = fileName.substr(fileName.find_last_of('/') + 1);
  if (auto dot = stem.find('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
  std::string out;
  for (char c : stem) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "profile_" + out;
  return out;
}

}  // namespace

bool importDockerSeccomp(const std::string& json, const DockerImportOptions& options, DockerImport& out,
                         std::string& error) {
  out = {};
  Json profile;
  try {
    profile = Json::parse(json);
  } catch (const Json::parse_error& e) {
    // Byte offset -> line and column, for an editor to jump to.
    std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, json.size());
    std::size_t line = 1 + static_cast<std::size_t>(std::count(json.begin(), json.begin() + offset, '\n'));
    std::size_t lineStart = json.rfind('\n', offset == 0 ? 0 : offset - 1);
    std::size_t column = offset - (lineStart == std::string::npos || offset == 0 ? 0 : lineStart + 1) + 1;
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    error = fmt::format("{}:{}:{}: invalid JSON: {}", options.fileName, line, column, what);
    return false;
  }
  DockerImportOptions resolved = options;
  for (const auto& c : resolved.capabilities)
    if (!c.starts_with("CAP_")) {
      error = fmt::format("capability `{}` should be spelled CAP_{}", c, c);
      return false;
    }
  if (resolved.taskName.empty()) resolved.taskName = taskNameFrom(options.fileName);
  try {
    Importer(resolved, out).run(profile);
  } catch (const BadProfile& bad) {
    error = fmt::format("{}: {}: {}", options.fileName, bad.pointer.empty() ? "/" : bad.pointer, bad.message);
    out = {};
    return false;
  } catch (const Json::exception& e) {
    error = fmt::format("{}: not a seccomp profile: {}", options.fileName, e.what());
    out = {};
    return false;
  }
  return true;
}

}  // namespace sbx::importers
