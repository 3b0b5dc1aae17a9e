// Atomic output: files are written to a temporary in the same directory and renamed into place,
// so a reader sees the old file or the new one, never a partial one.
//
// Every write goes through a descriptor of its directory, opened once: the directory a caller
// names is resolved once, as named (symbolic links in that path are followed: the caller chose
// it), and each directory below it that sbxc creates or enters is opened relative to its parent's
// descriptor without following a link (a link there is refused). A later swap of any of these
// paths for a link cannot redirect the write. Temporaries are created O_EXCL under an
// unpredictable name (getrandom), so nothing planted beforehand is opened or overwritten; an
// existing symbolic link or non-regular file at a target is refused, never replaced.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace sbx {

// A directory opened once (O_DIRECTORY); closed with the object.
class DirectoryHandle {
 public:
  DirectoryHandle() = default;
  ~DirectoryHandle();
  DirectoryHandle(DirectoryHandle&& other) noexcept;
  DirectoryHandle& operator=(DirectoryHandle&& other) noexcept;
  DirectoryHandle(const DirectoryHandle&) = delete;
  DirectoryHandle& operator=(const DirectoryHandle&) = delete;

  // `path` resolved once as named ("" is "."), created (with its missing parents) when `create`.
  // `refuseLink`: its own last component must not be a symbolic link.
  static bool open(const std::string& path, bool create, bool refuseLink, DirectoryHandle& out, std::string& error);
  // `name` (one component) inside this one, created when `create`; never through a link.
  bool child(const std::string& name, bool create, DirectoryHandle& out, std::string& error) const;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }  // for messages

 private:
  int fd_ = -1;
  std::string path_;
};

// What a replaced file keeps: its mode, and its owner and group (sbxc fmt).
struct KeptIdentity {
  mode_t mode = 0644;
  bool keepOwner = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Writes `contents` as `name` in `dir`: an O_EXCL temporary with an unpredictable name, fsync'd,
// then renameat relative to `dir`'s descriptor. False, with `error`, when anything fails (the
// temporary is removed) or when `name` exists and is a link or not a regular file.
bool replaceFileAt(const DirectoryHandle& dir, const std::string& name, std::string_view contents,
                   const KeptIdentity& identity, std::string& error);

// Writes every file or none: all are staged first, then renamed; on any error the staged files
// are removed and the message says what failed. `under`: the directory the caller named (sbxc
// compile's -o DIR), opened as DirectoryHandle::open with refuseLink, created when missing, and
// every directory between it and the file created or entered without following a link; empty:
// the file's parent directory, as named.
struct PendingFile {
  std::string path;
  std::string contents;
  unsigned mode = 0644;
  std::string under = {};
};
bool writeFilesAtomically(const std::vector<PendingFile>& files, std::string& error);

// Creates each `name` in `dir` with its contents, all or none, never replacing anything: each is
// staged as a temporary, then linked into place with renameat2(RENAME_NOREPLACE). When a name
// exists (checked before anything is written, and again, atomically, by the rename), nothing is
// left behind and `error` names the file. For sbxc init, which must not overwrite a user's file.
struct NewFile {
  std::string name;  // one component
  std::string contents;
};
bool createFilesAt(const DirectoryHandle& dir, const std::vector<NewFile>& files, std::string& error);

// The temporary's name for `name`: "." + name + ".sbxc-" + 16 random hex digits.
std::string temporaryName(const std::string& name);

}  // namespace sbx
