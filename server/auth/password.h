// Password hashing with Argon2id (libsodium's crypto_pwhash_str), with the
// number of concurrent hash computations bounded so a burst of sign-ins
// cannot exhaust memory or CPU. Thread-safe.
#pragma once

#include <semaphore>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vault::auth {

class PasswordHasher {
 public:
  // At most `max_concurrent` hashes at once; `ops`/`mem` as crypto_pwhash.
  PasswordHasher(int max_concurrent, unsigned long long ops, size_t mem);
  // Interactive cost (OPSLIMIT_INTERACTIVE, 64 MiB).
  explicit PasswordHasher(int max_concurrent);

  // InvalidArgument for a password shorter than 12 or longer than 256 bytes.
  StatusOr<std::string> Hash(std::string_view password);
  // Whether `password` matches `encoded`. With no hash (unknown user) it
  // verifies against a dummy hash so timing does not tell users apart.
  bool Verify(const std::string* encoded, std::string_view password);

  static Status CheckStrength(std::string_view password);

 private:
  std::counting_semaphore<1024> slots_;
  unsigned long long ops_;
  size_t mem_;
  std::string dummy_;
};

}  // namespace vault::auth
