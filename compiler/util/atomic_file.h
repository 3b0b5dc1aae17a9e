// Atomic output: files are written to a temporary name in the same directory and renamed into
// place, so a reader sees the old file or the new one, never a partial one.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sbx {

// Writes every file or none: all are staged first, then renamed; on any error the staged files
// are removed and the message says what failed. Directories are created as needed.
struct PendingFile {
  std::string path;
  std::string contents;
  unsigned mode = 0644;
};
bool writeFilesAtomically(const std::vector<PendingFile>& files, std::string& error);

}  // namespace sbx
