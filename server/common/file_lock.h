// An advisory exclusive lock on a file (flock), held for the object's life.
// The server holds <data_dir>/server.lock while it runs, so offline commands
// (root rekey, restore) can refuse to run under it. Not copyable.
#pragma once

#include <string>

#include "common/status.h"

namespace vault {

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  // FailedPrecondition("locked") if another process holds it.
  static StatusOr<FileLock> Acquire(const std::string& path, const std::string& holder);

 private:
  int fd_ = -1;
};

}  // namespace vault
