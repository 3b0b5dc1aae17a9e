// `sbxc diff --base REF FILE`: FILE as it was at git revision REF, with the imports of that
// revision. The revision's policy files are exported (`git archive REF -- '*.sbx'`, unpacked by
// tar) into a private temporary directory, so a relative import resolves against the old tree
// exactly as it did then; the working tree, the index and the repository are never written.
#pragma once
#include <optional>
#include <string>

namespace sbx::cli {

class RevisionTree {
 public:
  RevisionTree() = default;
  ~RevisionTree();
  RevisionTree(const RevisionTree&) = delete;
  RevisionTree& operator=(const RevisionTree&) = delete;

  // Exports the revision `ref` of the repository holding `file`. Returns the path of `file` in
  // the export, an empty string when `file` did not exist at `ref` (a new policy), or nullopt
  // with `error`.
  std::optional<std::string> materialise(const std::string& file, const std::string& ref, std::string& error);

 private:
  std::string directory_;  // the export, removed with this object
};

}  // namespace sbx::cli
