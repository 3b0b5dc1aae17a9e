// The order a mount tree is built in: a parent before anything inside it, so that a grant nested
// in another (exec "/usr/bin/git" inside read "/usr") is mounted over what its parent shows,
// never hidden beneath it. One definition for the compiler's plan, sbx-run and the exporters
// (bwrap, OCI), each of which sorts again rather than trust the order of a plan.json it reads.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

namespace sbx::plan {

// Whether `a` comes before `b` when paths are compared component by component ("/usr" <
// "/usr/bin" < "/usr-local": a path's own children come right after it). Deterministic: equal
// only for the same components.
bool parentFirst(const std::string& a, const std::string& b);

// Whether `inner` is `outer` or lies inside it, by components ("/usr/bin" is in "/usr" and in
// "/"; "/usr-local" is not in "/usr").
bool pathWithin(const std::string& inner, const std::string& outer);

// Sorts mounts parent-first by their `target`, keeping the given order among equal targets (a
// mask after the bind it covers).
template <typename MountT>
void sortParentFirst(std::vector<MountT>& mounts) {
  std::stable_sort(mounts.begin(), mounts.end(),
                   [](const MountT& a, const MountT& b) { return parentFirst(a.target, b.target); });
}

}  // namespace sbx::plan
