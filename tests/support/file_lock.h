// An exclusive flock(2) on a file in /tmp, held for the object's life: test cases that share fixed
// loopback ports hold one, because ctest runs them (and other builds' runs) in parallel.
#pragma once
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace sbx::test {

class FileLock {
 public:
  explicit FileLock(const char* path) : fd_(::open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace sbx::test
