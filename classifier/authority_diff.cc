#include "classifier/authority_diff.h"

#include <fmt/format.h>

#include "model/model_json.h"

namespace sbx::classifier {

namespace {

std::string conditionText(const model::ArgCondition& c) {
  std::string values;
  for (auto v : c.values) values += (values.empty() ? "" : ", ") + fmt::format("{:#x}", v);
  if (c.op == model::CompareOp::In) return fmt::format("arg{} in {{{}}}", c.arg, values);
  if (c.op == model::CompareOp::MaskedEq) return fmt::format("arg{} & {:#x} == {}", c.arg, c.mask, values);
  return fmt::format("arg{} {} {}", c.arg, model::nameOf(c.op), values);
}

std::string toolSuffix(const std::string& tool) {
  return tool.empty() ? "" : fmt::format(" (tool {})", tool);
}

}  // namespace

AuthoritySet authorityOf(const model::ResolvedTask& t) {
  AuthoritySet a;
  for (const auto& p : t.paths)
    a["paths"].insert(fmt::format("{} {}", model::nameOf(p.access), p.workspace ? "workspace" : p.path));
  for (const auto& d : t.devices) a["host"].insert("device " + d.path);
  for (const auto& c : t.capabilities) a["host"].insert("capability " + c.name);
  if (t.network && t.network->value == model::NetworkMode::Host) a["host"].insert("network host");
  for (const auto& d : t.egress) a["destinations"].insert(d.text + (d.protocol == model::Protocol::Udp ? " udp" : ""));
  for (const auto& tool : t.tools) {
    for (const auto& d : tool.egress)
      a["destinations"].insert(d.text + (d.protocol == model::Protocol::Udp ? " udp" : "") + toolSuffix(tool.name));
    for (const auto& act : tool.actions) {
      std::string env = tool.environment ? std::string(model::nameOf(*tool.environment)) : "production";
      a["effects"].insert(fmt::format("tool {} action {}: {} on {}{}{}{}", tool.name, act.name,
                                      model::nameOf(act.effect), tool.system.empty() ? "no system" : tool.system,
                                      tool.system.empty() ? "" : " (" + env + ")",
                                      act.reversibility ? ", " + std::string(model::nameOf(*act.reversibility)) : "",
                                      act.approval ? ", approval" : ", no approval"));
    }
  }
  for (const auto& s : t.secrets) {
    std::string ttl = s.ttlMs ? fmt::format("ttl {}s", *s.ttlMs / 1000) : "no ttl";
    a["secrets"].insert(fmt::format("secret {} from {} ({}, audience {})", s.name, s.source, ttl,
                                    s.audience.empty() ? "none" : s.audience));
    for (const auto& scope : s.scopes) a["scopes"].insert(fmt::format("{}: {}", s.name, scope));
  }
  for (const auto& d : t.delegations) {
    std::string passes;
    for (auto p : d.passes) passes += (passes.empty() ? "" : ", ") + std::string(model::nameOf(p));
    for (const auto& s : d.secrets) passes += std::string(passes.empty() ? "" : ", ") + "secret " + s;
    a["delegations"].insert(fmt::format("delegate {}{}", d.target, passes.empty() ? "" : " passing " + passes));
  }
  const auto& sys = t.syscalls;
  a["syscalls"].insert("default " + model::describeAction(sys.defaultAction));
  a["syscalls"].insert(std::string("baseline ") + std::string(model::nameOf(sys.baseline)));
  for (const auto& r : sys.rules) {
    std::string conds;
    for (const auto& c : r.conditions) conds += (conds.empty() ? " if " : " and ") + conditionText(c);
    a["syscalls"].insert(fmt::format("{} {}{}", model::describeAction(r.action), r.syscall, conds));
  }
  if (t.identity)
    a["identity"].insert(fmt::format("{} {}{}", model::nameOf(t.identity->kind), t.identity->value,
                                     t.identity->subject.empty() ? "" : " subject " + t.identity->subject));
  return a;
}

std::vector<TaskDiff> diffAuthority(const model::Model& oldModel, const Report& oldReport, const model::Model& newModel,
                                    const Report& newReport) {
  std::map<std::string, TaskDiff> byName;
  auto side = [&](const model::Model& m, const Report& r, bool isNew) {
    for (std::size_t i = 0; i < m.tasks.size(); ++i) {
      if (!m.tasks[i].root) continue;
      TaskDiff& d = byName[m.tasks[i].qualifiedName];
      d.task = m.tasks[i].qualifiedName;
      (isNew ? d.newTier : d.oldTier) = r.of(i).tier;
      for (auto& [category, items] : authorityOf(m.tasks[i]))
        for (const auto& item : items) (isNew ? d.added : d.removed)[category].insert(item);
    }
  };
  side(oldModel, oldReport, false);
  side(newModel, newReport, true);
  std::vector<TaskDiff> out;
  for (auto& [name, d] : byName) {
    // Items on both sides are unchanged: drop them from both.
    for (auto& [category, items] : d.added) {
      auto& old = d.removed[category];
      for (auto it = items.begin(); it != items.end();) {
        if (old.erase(*it)) {
          it = items.erase(it);
        } else {
          ++it;
        }
      }
    }
    std::erase_if(d.added, [](const auto& kv) { return kv.second.empty(); });
    std::erase_if(d.removed, [](const auto& kv) { return kv.second.empty(); });
    if (d.changed()) out.push_back(std::move(d));
  }
  return out;
}

std::string diffText(const std::vector<TaskDiff>& diffs) {
  if (diffs.empty()) return "no change in authority\n";
  std::string out;
  for (const auto& d : diffs) {
    std::string tier;
    if (!d.oldTier)
      tier = fmt::format("new task, T{}", *d.newTier);
    else if (!d.newTier)
      tier = fmt::format("removed task, was T{}", *d.oldTier);
    else if (*d.oldTier != *d.newTier)
      tier = fmt::format("tier T{} -> T{}", *d.oldTier, *d.newTier);
    else
      tier = fmt::format("tier T{} (unchanged)", *d.newTier);
    out += fmt::format("task `{}`: {}\n", d.task, tier);
    std::set<std::string> categories;
    for (const auto& [c, items] : d.added) categories.insert(c);
    for (const auto& [c, items] : d.removed) categories.insert(c);
    for (const auto& c : categories) {
      out += fmt::format("  {}:\n", c);
      if (auto it = d.removed.find(c); it != d.removed.end())
        for (const auto& item : it->second) out += fmt::format("    - {}\n", item);
      if (auto it = d.added.find(c); it != d.added.end())
        for (const auto& item : it->second) out += fmt::format("    + {}\n", item);
    }
  }
  return out;
}

nlohmann::ordered_json diffJson(const std::vector<TaskDiff>& diffs) {
  nlohmann::ordered_json out = {{"tasks", nlohmann::ordered_json::array()}};
  for (const auto& d : diffs) {
    nlohmann::ordered_json j;
    j["task"] = d.task;
    j["status"] = !d.oldTier ? "added" : !d.newTier ? "removed" : "changed";
    j["tier"] = {{"old", d.oldTier ? nlohmann::ordered_json(*d.oldTier) : nullptr},
                 {"new", d.newTier ? nlohmann::ordered_json(*d.newTier) : nullptr}};
    auto sets = [](const AuthoritySet& s) {
      nlohmann::ordered_json o = nlohmann::ordered_json::object();
      for (const auto& [c, items] : s) o[c] = items;
      return o;
    };
    j["added"] = sets(d.added);
    j["removed"] = sets(d.removed);
    out["tasks"].push_back(j);
  }
  out["tierRaised"] = std::any_of(diffs.begin(), diffs.end(),
                                  [](const TaskDiff& d) { return d.newTier && d.oldTier && *d.newTier > *d.oldTier; });
  return out;
}

}  // namespace sbx::classifier
