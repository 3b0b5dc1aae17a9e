// sbxc diff's comparison (authority_diff.h): authority as sets of canonical text items per
// category, findings by rule and message, syscalls folded into std.syscalls' groups.
#include "classifier/authority_diff.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

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

// Errors first, then warnings, then notes; by rule and message within each.
void sortFindings(std::vector<FindingItem>& items) {
  std::sort(items.begin(), items.end(), [](const FindingItem& a, const FindingItem& b) {
    return std::tie(b.severity, a.id, a.message) < std::tie(a.severity, b.id, b.message);
  });
}

// The items of `from` whose key is not among `other`'s.
std::vector<FindingItem> findingsNotIn(const std::vector<FindingItem>& from, const std::vector<FindingItem>& other) {
  std::vector<FindingItem> out;
  for (const auto& f : from)
    if (std::none_of(other.begin(), other.end(), [&](const FindingItem& o) { return o.key() == f.key(); }))
      out.push_back(f);
  sortFindings(out);
  return out;
}

std::vector<FindingItem> activeFindings(const TaskReport& report) {
  std::vector<FindingItem> out;
  for (const auto& f : report.findings)
    if (!f.suppressedBy)
      out.push_back({f.diagnostic.severity, f.diagnostic.id, f.diagnostic.name, f.diagnostic.message});
  return out;
}

// The unconditional rules among syscall items ("allow NAME", "errno EPERM NAME"), by action.
std::map<std::string, std::set<std::string>> byAction(const std::set<std::string>& items) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& item : items) {
    auto space = item.rfind(' ');
    if (space == std::string::npos || item.find(" if ") != std::string::npos || item.starts_with("default ") ||
        item.starts_with("baseline "))
      continue;
    out[item.substr(0, space)].insert(item.substr(space + 1));
  }
  return out;
}

// "allow @syscalls.network-io (18 syscalls: accept, accept4, bind, connect, getpeername, ...)",
// or, when some were there before, "(292 syscalls, 250 of them new: ...)": the changed ones.
std::string groupItem(const std::string& action, const frontend::SyscallGroup& group,
                      const std::set<std::string>& changed, const char* changeWord) {
  constexpr std::size_t kShown = 6;
  std::string names;
  std::size_t shown = 0;
  for (const auto& name : changed) {
    if (shown++ == kShown) break;
    names += (names.empty() ? "" : ", ") + name;
  }
  std::string count = fmt::format("{} syscall{}", group.members.size(), group.members.size() == 1 ? "" : "s");
  if (changed.size() < group.members.size()) count += fmt::format(", {} of them {}", changed.size(), changeWord);
  return fmt::format("{} {} ({}: {}{})", action, group.name, count, names, changed.size() > kShown ? ", ..." : "");
}

// Folds the changed unconditional rules of one action into the groups this side has whole and
// the other side has not, largest groups first; syscalls no such group covers stay single items.
// `side` and `other`: every syscall item of this side's and the other side's task.
void foldIntoGroups(std::set<std::string>& items, const std::set<std::string>& side, const std::set<std::string>& other,
                    const std::vector<frontend::SyscallGroup>& groups, const char* changeWord) {
  auto sideByAction = byAction(side), otherByAction = byAction(other);
  std::vector<const frontend::SyscallGroup*> bySize;
  for (const auto& g : groups) bySize.push_back(&g);
  std::stable_sort(bySize.begin(), bySize.end(),
                   [](const auto* a, const auto* b) { return a->members.size() > b->members.size(); });
  for (const auto& [action, names] : byAction(items)) {
    const auto& all = sideByAction[action];
    const auto& before = otherByAction[action];
    std::set<std::string> covered;
    for (const auto* g : bySize) {
      auto within = [&](const std::set<std::string>& set) {
        return std::includes(set.begin(), set.end(), g->members.begin(), g->members.end());
      };
      if (g->members.size() < 2 || !within(all) || within(before)) continue;
      std::set<std::string> changed;
      for (const auto& n : g->members)
        if (names.count(n) && !covered.count(n)) changed.insert(n);
      if (changed.empty()) continue;
      covered.insert(changed.begin(), changed.end());
      std::set<std::string> groupChanged;
      for (const auto& n : g->members)
        if (names.count(n)) groupChanged.insert(n);
      items.insert(groupItem(action, *g, groupChanged, changeWord));
    }
    for (const auto& name : covered) items.erase(action + " " + name);
  }
}

}  // namespace

AuthoritySet authorityOf(const model::ResolvedTask& t) {
  AuthoritySet a;
  for (const auto& p : t.paths)
    a["paths"].insert(fmt::format("{} {}", model::nameOf(p.access), p.workspace ? model::policyPath(p) : p.path));
  for (const auto& d : t.devices) a["host"].insert("device " + d.path);
  for (const auto& c : t.capabilities) a["host"].insert("capability " + c.name);
  if (t.network && t.network->value == model::NetworkMode::Host) a["host"].insert("network host");
  for (const auto& d : t.egress) a["destinations"].insert(d.text + (d.protocol == model::Protocol::Udp ? " udp" : ""));
  for (const auto& tool : t.tools) {
    for (const auto& d : tool.egress)
      a["destinations"].insert(d.text + (d.protocol == model::Protocol::Udp ? " udp" : "") + toolSuffix(tool.name));
    for (const auto& act : tool.actions) {
      std::string env = tool.environment ? std::string(model::nameOf(*tool.environment)) : "production";
      // A send's sinks bound where its data goes: widening them widens authority.
      std::string sinks = act.sinks.empty() ? "" : fmt::format(", to {}", fmt::join(act.sinks, ", "));
      a["effects"].insert(fmt::format("tool {} action {}: {} on {}{}{}{}{}", tool.name, act.name,
                                      model::nameOf(act.effect), tool.system.empty() ? "no system" : tool.system,
                                      tool.system.empty() ? "" : " (" + env + ")",
                                      act.reversibility ? ", " + std::string(model::nameOf(*act.reversibility)) : "",
                                      act.approval ? ", approval" : ", no approval", sinks));
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
                                    const Report& newReport, const std::vector<frontend::SyscallGroup>& groups) {
  std::map<std::string, TaskDiff> byName;
  auto side = [&](const model::Model& m, const Report& r, bool isNew) {
    for (std::size_t i = 0; i < m.tasks.size(); ++i) {
      if (!m.tasks[i].root) continue;
      TaskDiff& d = byName[m.tasks[i].qualifiedName];
      d.task = m.tasks[i].qualifiedName;
      (isNew ? d.newTier : d.oldTier) = r.of(i).tier;
      for (auto& [category, items] : authorityOf(m.tasks[i]))
        for (const auto& item : items) (isNew ? d.added : d.removed)[category].insert(item);
      (isNew ? d.newFindings : d.goneFindings) = activeFindings(r.of(i));
    }
  };
  side(oldModel, oldReport, false);
  side(newModel, newReport, true);
  std::vector<TaskDiff> out;
  for (auto& [name, d] : byName) {
    const std::set<std::string> newSyscalls = d.added["syscalls"], oldSyscalls = d.removed["syscalls"];
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
    foldIntoGroups(d.added["syscalls"], newSyscalls, oldSyscalls, groups, "new");
    foldIntoGroups(d.removed["syscalls"], oldSyscalls, newSyscalls, groups, "gone");
    auto newOnes = findingsNotIn(d.newFindings, d.goneFindings),
         goneOnes = findingsNotIn(d.goneFindings, d.newFindings);
    d.newFindings = std::move(newOnes);
    d.goneFindings = std::move(goneOnes);
    std::erase_if(d.added, [](const auto& kv) { return kv.second.empty(); });
    std::erase_if(d.removed, [](const auto& kv) { return kv.second.empty(); });
    if (d.changed()) out.push_back(std::move(d));
  }
  return out;
}

std::size_t newErrors(const std::vector<TaskDiff>& diffs) {
  std::size_t errors = 0;
  for (const auto& d : diffs)
    for (const auto& f : d.newFindings) errors += f.severity == Severity::Error;
  return errors;
}

std::string diffText(const std::vector<TaskDiff>& diffs) {
  if (diffs.empty()) return "no change in authority or findings\n";
  std::string out;
  if (std::size_t errors = newErrors(diffs))
    out += fmt::format("{} new lint error{}: `sbxc compile` of the new policy stops on {} (and sbx-run with it)\n",
                       errors, errors == 1 ? "" : "s", errors == 1 ? "it" : "them");
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
    if (!d.newFindings.empty() || !d.goneFindings.empty()) out += "  findings:\n";
    for (const auto& f : d.newFindings)
      out += fmt::format("    + {} {} {}: {}\n", severityName(f.severity), f.id, f.name, f.message);
    for (const auto& f : d.goneFindings)
      out += fmt::format("    - {} {} {}: {}\n", severityName(f.severity), f.id, f.name, f.message);
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
    auto findings = [](const std::vector<FindingItem>& items) {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const auto& f : items)
        a.push_back({{"severity", severityName(f.severity)}, {"id", f.id}, {"rule", f.name}, {"message", f.message}});
      return a;
    };
    j["findings"] = {{"added", findings(d.newFindings)}, {"removed", findings(d.goneFindings)}};
    out["tasks"].push_back(j);
  }
  out["newErrors"] = newErrors(diffs);
  out["tierRaised"] = std::any_of(diffs.begin(), diffs.end(),
                                  [](const TaskDiff& d) { return d.newTier && d.oldTier && *d.newTier > *d.oldTier; });
  return out;
}

}  // namespace sbx::classifier
