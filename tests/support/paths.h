// Locations the tests read from, and scratch directories they write to.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace sbx::test {

std::filesystem::path sourceDir();  // the repository root
std::vector<std::filesystem::path> filesUnder(const std::filesystem::path& dir, const std::string& extension);
std::string readText(const std::filesystem::path& path);
void writeText(const std::filesystem::path& path, const std::string& text);

// Polls until `path` exists, for `seconds` at most; whether it does.
bool waitForFile(const std::filesystem::path& path, int seconds);

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sbx::test
