#include "auth/password.h"

#include <sodium.h>

#include "crypto/util.h"

namespace vault::auth {

PasswordHasher::PasswordHasher(int max_concurrent, unsigned long long ops, size_t mem)
    : slots_(std::max(1, max_concurrent)), ops_(ops), mem_(mem) {
  crypto::EnsureSodium();
  char out[crypto_pwhash_STRBYTES];
  std::string random = crypto::HexEncode(crypto::RandomBytes(16));
  if (crypto_pwhash_str(out, random.data(), random.size(), ops_, mem_) == 0) dummy_ = out;
}

PasswordHasher::PasswordHasher(int max_concurrent)
    : PasswordHasher(max_concurrent, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                     crypto_pwhash_MEMLIMIT_INTERACTIVE) {}

Status PasswordHasher::CheckStrength(std::string_view password) {
  if (password.size() < 12) {
    return InvalidArgument("password must be at least 12 characters", "password_weak");
  }
  if (password.size() > 256) {
    return InvalidArgument("password must be at most 256 characters", "password_invalid");
  }
  return Status::Ok();
}

StatusOr<std::string> PasswordHasher::Hash(std::string_view password) {
  RETURN_IF_ERROR(CheckStrength(password));
  char out[crypto_pwhash_STRBYTES];
  slots_.acquire();
  int rc = crypto_pwhash_str(out, password.data(), password.size(), ops_, mem_);
  slots_.release();
  if (rc != 0) return ResourceExhausted("not enough memory to hash the password");
  return std::string(out);
}

bool PasswordHasher::Verify(const std::string* encoded, std::string_view password) {
  if (password.size() > 256) return false;
  const std::string& hash = encoded != nullptr ? *encoded : dummy_;
  slots_.acquire();
  int rc = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size());
  slots_.release();
  return rc == 0 && encoded != nullptr;
}

}  // namespace vault::auth
