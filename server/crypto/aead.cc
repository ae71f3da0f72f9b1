#include "crypto/aead.h"

#include <sodium.h>

#include <cstdlib>

#include "common/log.h"
#include "crypto/util.h"

namespace vault::crypto {
namespace {

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kAeadKeySize);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kAeadNonceSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kAeadTagSize);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Opens into `out` (of size sealed.size() - kAeadOverhead). Returns false on
// any failure.
bool OpenInto(const SecretBytes& key, std::string_view sealed, std::string_view associated_data,
              unsigned char* out) {
  if (key.size() != kAeadKeySize || sealed.size() < kAeadOverhead) return false;
  const unsigned char* nonce = Bytes(sealed);
  std::string_view ct = sealed.substr(kAeadNonceSize);
  unsigned long long out_len = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, &out_len, nullptr, Bytes(ct), ct.size(),
                                                    Bytes(associated_data), associated_data.size(),
                                                    nonce, key.data()) == 0;
}

}  // namespace

Status DecryptionFailed() { return DataLoss("decryption failed", "decryption_failed"); }

std::string AeadSeal(const SecretBytes& key, std::string_view plaintext,
                     std::string_view associated_data) {
  if (key.size() != kAeadKeySize) {  // A programming error.
    log::Flush();
    std::abort();
  }
  std::string out = RandomBytes(kAeadNonceSize);
  out.resize(kAeadOverhead + plaintext.size());
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data()) + kAeadNonceSize, &ct_len, Bytes(plaintext),
      plaintext.size(), Bytes(associated_data), associated_data.size(), nullptr,
      reinterpret_cast<const unsigned char*>(out.data()), key.data());
  return out;
}

StatusOr<std::string> AeadOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view associated_data) {
  if (sealed.size() < kAeadOverhead) return DecryptionFailed();
  std::string out(sealed.size() - kAeadOverhead, '\0');
  if (!OpenInto(key, sealed, associated_data, reinterpret_cast<unsigned char*>(out.data()))) {
    WipeString(out);
    return DecryptionFailed();
  }
  return out;
}

StatusOr<SecretBytes> AeadOpenSecret(const SecretBytes& key, std::string_view sealed,
                                     std::string_view associated_data,
                                     SecretBytes::Storage storage) {
  if (sealed.size() < kAeadOverhead) return DecryptionFailed();
  SecretBytes out(sealed.size() - kAeadOverhead, storage);
  if (!OpenInto(key, sealed, associated_data, out.mutable_data())) {
    return DecryptionFailed();
  }
  return out;
}

}  // namespace vault::crypto
