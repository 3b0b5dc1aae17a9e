#include "runtime/resolved_names.h"

namespace sbx::run {

bool ResolvedNames::remember(const std::string& name, const std::vector<IpAddress>& addresses) {
  std::lock_guard lock(mutex_);
  auto known = addressesOf_.find(name);
  if (known == addressesOf_.end() && addressesOf_.size() >= kMaxNames) return false;
  std::set<std::string> all = known == addressesOf_.end() ? std::set<std::string>{} : known->second;
  for (const auto& a : addresses) all.insert(a.unmapped().text());
  if (all.size() > kMaxAddressesPerName) return false;
  for (const auto& a : all) namesOf_[a].insert(name);
  addressesOf_[name] = std::move(all);
  return true;
}

std::vector<std::string> ResolvedNames::namesOf(const IpAddress& address) const {
  std::lock_guard lock(mutex_);
  auto found = namesOf_.find(address.unmapped().text());
  if (found == namesOf_.end()) return {};
  return {found->second.begin(), found->second.end()};
}

const EgressRule* matchResolved(const EgressRules& rules, const ResolvedNames* names, const IpAddress& address,
                                std::uint16_t port, const std::string& tool, std::string* byName) {
  if (const EgressRule* rule = rules.matchName(address.text(), port, tool)) return rule;
  if (!names) return nullptr;
  for (const auto& name : names->namesOf(address))
    if (const EgressRule* rule = rules.matchName(name, port, tool)) {
      if (byName) *byName = name;
      return rule;
    }
  return nullptr;
}

}  // namespace sbx::run
