#include "common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace vault {

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

StatusOr<FileLock> FileLock::Acquire(const std::string& path, const std::string& holder) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot open lock file " + path, "lock_unavailable");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPrecondition(
        holder + " is running on this data directory (" + path + " is locked); stop it first",
        "locked");
  }
  FileLock lock;
  lock.fd_ = fd;
  return lock;
}

}  // namespace vault
