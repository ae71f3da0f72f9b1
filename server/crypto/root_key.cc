#include "crypto/root_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "crypto/util.h"

namespace vault::crypto {

StatusOr<SecretBytes> LoadRootKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return FailedPrecondition("cannot open root key file " + path + ": " + std::strerror(errno),
                              "root_key_unreadable");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return FailedPrecondition("root key file " + path + " is not a regular file",
                              "root_key_unreadable");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return FailedPrecondition("root key file " + path +
                                  " must be mode 0600 (others can read it); "
                                  "run: chmod 600 " +
                                  path,
                              "root_key_permissions");
  }
  SecretBytes text(128);
  ssize_t n = ::read(fd, text.mutable_data(), text.size());
  ::close(fd);
  // A full buffer means the file is longer than any valid key file: judge the
  // whole file, never just its first bytes (len 0 is refused below).
  size_t len = (n < 0 || static_cast<size_t>(n) >= text.size()) ? 0 : static_cast<size_t>(n);
  while (len > 0 && (text.data()[len - 1] == '\n' || text.data()[len - 1] == '\r')) {
    --len;
  }
  SecretBytes key(kRootKeySize);
  size_t bin_len = 0;
  const char* end = nullptr;
  const char* hex = reinterpret_cast<const char*>(text.data());
  if (len != kRootKeySize * 2 ||
      sodium_hex2bin(key.mutable_data(), key.size(), hex, len, nullptr, &bin_len, &end) != 0 ||
      bin_len != kRootKeySize || end != hex + len) {
    return FailedPrecondition("root key file " + path + " must hold 64 hex digits",
                              "root_key_malformed");
  }
  return key;
}

Status WriteRootKeyFile(const std::string& path, const SecretBytes& key) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return FailedPrecondition("cannot create root key file " + path + ": " + std::strerror(errno),
                              "root_key_exists");
  }
  SecretBytes hex(key.size() * 2 + 1);
  sodium_bin2hex(reinterpret_cast<char*>(hex.mutable_data()), hex.size(), key.data(), key.size());
  hex.mutable_data()[hex.size() - 1] = '\n';
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Unavailable("cannot write root key file " + path, "root_key_write");
  }
  return Status::Ok();
}

StatusOr<SecretBytes> DeriveRootKey(std::string_view passphrase, std::string_view salt,
                                    const Argon2Params& params) {
  EnsureSodium();
  if (passphrase.empty()) {
    return InvalidArgument("the passphrase is empty", "passphrase_empty");
  }
  if (salt.size() != crypto_pwhash_SALTBYTES) {
    return InvalidArgument("the passphrase salt has the wrong size", "salt_invalid");
  }
  SecretBytes key(kRootKeySize);
  if (crypto_pwhash(key.mutable_data(), key.size(), passphrase.data(), passphrase.size(),
                    reinterpret_cast<const unsigned char*>(salt.data()), params.ops_limit,
                    params.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhausted("not enough memory to stretch the passphrase", "argon2_memory");
  }
  return key;
}

}  // namespace vault::crypto
