// Authenticated encryption: XChaCha20-Poly1305-IETF (libsodium) with associated
// data. A sealed box is nonce(24) ‖ ciphertext ‖ tag(16); the 192-bit nonce is
// random per call, so a key can seal any number of messages. A failed open
// says only "decryption failed": no oracle on which part was wrong.
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 24;
inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kAeadOverhead = kAeadNonceSize + kAeadTagSize;

// REQUIRES: key.size() == kAeadKeySize.
std::string AeadSeal(const SecretBytes& key, std::string_view plaintext,
                     std::string_view associated_data);

// Returns DataLoss("decryption failed") unless `sealed` was made by
// AeadSeal under `key` with exactly `associated_data`.
StatusOr<std::string> AeadOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view associated_data);

// As AeadOpen, but the plaintext (a key) goes straight into a SecretBytes
// (guarded memory unless `storage` says inline).
StatusOr<SecretBytes> AeadOpenSecret(const SecretBytes& key, std::string_view sealed,
                                     std::string_view associated_data,
                                     SecretBytes::Storage storage = SecretBytes::Storage::kGuarded);

// The one error every failed decryption returns.
Status DecryptionFailed();

}  // namespace vault::crypto
