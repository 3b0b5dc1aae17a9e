// util/atomic_file.h: writes through a directory descriptor opened once, O_EXCL temporaries with
// unpredictable names, links refused, all or nothing.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "support/paths.h"
#include "util/atomic_file.h"

namespace fs = std::filesystem;
using namespace sbx;
using sbx::test::readText;
using sbx::test::TempDir;
using sbx::test::writeText;

TEST_CASE("atomic files: temporary names are unpredictable") {
  std::set<std::string> names;
  for (int i = 0; i < 100; ++i) {
    std::string name = temporaryName("a.sbx");
    CHECK(name.starts_with(".a.sbx.sbxc-"));
    CHECK(name.size() == std::string(".a.sbx.sbxc-").size() + 16);
    names.insert(name);
  }
  CHECK(names.size() == 100);
}

TEST_CASE("atomic files: a write goes to the directory opened, though its path is a link by then") {
  TempDir dir;
  fs::path original = dir.path() / "d", moved = dir.path() / "d.moved", elsewhere = dir.path() / "elsewhere";
  fs::create_directories(original);
  fs::create_directories(elsewhere);
  DirectoryHandle handle;
  std::string error;
  REQUIRE(DirectoryHandle::open(original.string(), false, false, handle, error));
  // The swap an attacker who owns the parent makes between sbxc's read and its write.
  fs::rename(original, moved);
  fs::create_directory_symlink(elsewhere, original);
  REQUIRE(replaceFileAt(handle, "a.sbx", "new\n", {0640}, error));
  CHECK(readText(moved / "a.sbx") == "new\n");
  CHECK(fs::is_empty(elsewhere));
  struct stat st {};
  REQUIRE(stat((moved / "a.sbx").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  // Below a directory, a link is never entered.
  DirectoryHandle parent, child;
  REQUIRE(DirectoryHandle::open(dir.path().string(), false, false, parent, error));
  CHECK(!parent.child("d", false, child, error));
  CHECK(error.find("is a symbolic link") != std::string::npos);
  CHECK(parent.child("d.moved", false, child, error));
}

TEST_CASE("atomic files: a link at the target is refused, not replaced; all or nothing") {
  TempDir dir;
  fs::path out = dir.path() / "out";
  fs::create_directories(out / "t");
  writeText(dir.path() / "victim", "untouched\n");
  fs::create_symlink(dir.path() / "victim", out / "t/second");
  std::string error;
  CHECK(!writeFilesAtomically(
      {{(out / "t/first").string(), "1", 0644, out.string()}, {(out / "t/second").string(), "2", 0644, out.string()}},
      error));
  CHECK(error.find("is a symbolic link") != std::string::npos);
  CHECK(!fs::exists(out / "t/first"));
  CHECK(readText(dir.path() / "victim") == "untouched\n");
  for (const auto& e : fs::directory_iterator(out / "t"))
    CHECK(e.path().filename().string().find(".sbxc-") == std::string::npos);
  // A file outside the directory named is refused.
  CHECK(!writeFilesAtomically({{(dir.path() / "x").string(), "1", 0644, out.string()}}, error));
  CHECK(!fs::exists(dir.path() / "x"));
  // Without links: written, directories created below.
  REQUIRE(writeFilesAtomically({{(out / "n/m/f").string(), "f", 0600, out.string()}}, error));
  CHECK(readText(out / "n/m/f") == "f");
}

TEST_CASE("atomic files: createFilesAt creates every file or none, and never replaces one") {
  TempDir dir;
  DirectoryHandle handle;
  std::string error;
  REQUIRE(DirectoryHandle::open(dir.path().string(), false, false, handle, error));
  auto entries = [&] {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path())) names.insert(e.path().filename().string());
    return names;
  };

  REQUIRE(createFilesAt(handle, {{"a.sbx", "policy\n"}, {"a.sbxtest", "tests\n"}}, error));
  CHECK(readText(dir.path() / "a.sbx") == "policy\n");
  CHECK(readText(dir.path() / "a.sbxtest") == "tests\n");

  // One of them exists: nothing is written, the existing file is untouched, the message names it.
  writeText(dir.path() / "b.sbxtest", "mine\n");
  CHECK(!createFilesAt(handle, {{"b.sbx", "policy\n"}, {"b.sbxtest", "tests\n"}}, error));
  CHECK(error == fmt::format("`{}` already exists", (dir.path() / "b.sbxtest").string()));
  CHECK(readText(dir.path() / "b.sbxtest") == "mine\n");
  CHECK(entries() == std::set<std::string>{"a.sbx", "a.sbxtest", "b.sbxtest"});

  // A dangling link is an existing name too: never followed, never replaced.
  fs::create_symlink(dir.path() / "nowhere", dir.path() / "c.sbx");
  CHECK(!createFilesAt(handle, {{"c.sbx", "policy\n"}}, error));
  CHECK(fs::is_symlink(dir.path() / "c.sbx"));
  CHECK(!fs::exists(dir.path() / "nowhere"));

  // A name that appears between the check and the rename (here: the same name twice) stops the
  // write at the rename, and the file already put in place is taken back.
  CHECK(!createFilesAt(handle, {{"d.sbx", "first\n"}, {"d.sbx", "second\n"}}, error));
  CHECK(error == fmt::format("`{}` already exists", (dir.path() / "d.sbx").string()));
  CHECK(entries() == std::set<std::string>{"a.sbx", "a.sbxtest", "b.sbxtest", "c.sbx"});

  CHECK(!createFilesAt(handle, {{"../e.sbx", "x"}}, error));
  CHECK(error == "`../e.sbx` is not a file name");
}
