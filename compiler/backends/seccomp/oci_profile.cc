// OCI / Docker seccomp profile writer. Rules with the same action and argument tests are
// grouped under one "names" list; masked-equality tests are written as OCI does: "value" is
// the mask and "valueTwo" the expected bits. What OCI cannot state (the action for foreign
// architectures, which runc chooses itself) is recorded under "sbxc" for a reader.
#include "backends/seccomp/oci_profile.h"

#include <map>
#include <set>
#include <tuple>

namespace sbx::seccomp {
namespace {

const char* ociAction(Action a) {
  switch (a & 0xffff0000u) {
    case kKillProcess:
      return "SCMP_ACT_KILL_PROCESS";
    case kTrap:
      return "SCMP_ACT_TRAP";
    case 0x00050000u:
      return "SCMP_ACT_ERRNO";
    case kNotify:
      return "SCMP_ACT_NOTIFY";
    case kLog:
      return "SCMP_ACT_LOG";
    default:
      return "SCMP_ACT_ALLOW";
  }
}

bool isErrno(Action a) {
  return (a & 0xffff0000u) == 0x00050000u;
}

const char* ociArch(model::Arch arch) {
  return arch == model::Arch::X86_64 ? "SCMP_ARCH_X86_64" : "SCMP_ARCH_AARCH64";
}

using ArgKey = std::vector<std::tuple<unsigned, std::uint64_t, std::uint64_t>>;

ArgKey keyOf(const Box& box) {
  ArgKey key;
  for (unsigned k = 0; k < 6; ++k)
    if (box[k].mask != 0) key.emplace_back(k, box[k].mask, box[k].value);
  return key;
}

}  // namespace

nlohmann::ordered_json ociProfile(const FlatFilter& flat) {
  nlohmann::ordered_json out;
  out["defaultAction"] = ociAction(flat.defaultAction);
  if (isErrno(flat.defaultAction)) out["defaultErrnoRet"] = flat.defaultAction & 0xffffu;
  out["architectures"] = nlohmann::ordered_json::array();
  for (const auto& fa : flat.arches) out["architectures"].push_back(ociArch(fa.arch));
  // (action, argument tests) -> names, in a deterministic order. The same name reached on two
  // architectures is listed once: its rules come from the same policy text.
  std::map<std::pair<Action, ArgKey>, std::set<std::string>> groups;
  for (const auto& fa : flat.arches)
    for (const auto& rule : fa.rules) groups[{rule.action, keyOf(rule.args)}].insert(rule.name);
  auto& syscalls = out["syscalls"] = nlohmann::ordered_json::array();
  for (const auto& [key, names] : groups) {
    nlohmann::ordered_json entry;
    entry["names"] = names;
    entry["action"] = ociAction(key.first);
    if (isErrno(key.first)) entry["errnoRet"] = key.first & 0xffffu;
    if (!key.second.empty()) {
      auto& args = entry["args"] = nlohmann::ordered_json::array();
      for (const auto& [index, mask, value] : key.second)
        args.push_back({{"index", index}, {"value", mask}, {"valueTwo", value}, {"op", "SCMP_CMP_MASKED_EQ"}});
    }
    syscalls.push_back(std::move(entry));
  }
  out["sbxc"] = {{"foreignArchAction", ociAction(flat.badArch)}};
  if (isErrno(flat.badArch)) out["sbxc"]["foreignArchErrnoRet"] = flat.badArch & 0xffffu;
  return out;
}

}  // namespace sbx::seccomp
