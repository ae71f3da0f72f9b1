// The root key: 32 bytes that wrap the keyring and never touch the database.
// It comes from a key file (64 hex digits and a newline, mode 0600, refused
// when group or others may read it) or from a passphrase stretched with
// Argon2id; the passphrase's salt and cost live in the database's meta table.
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

inline constexpr size_t kRootKeySize = 32;
inline constexpr size_t kPassphraseSaltSize = 16;

// Returns FailedPrecondition naming the reason: missing file, not a regular
// file, readable or writable by group/others ("must be mode 0600"), or not
// 64 hex digits.
StatusOr<SecretBytes> LoadRootKeyFile(const std::string& path);

// Writes `key` to a new file with mode 0600. Refuses to overwrite.
Status WriteRootKeyFile(const std::string& path, const SecretBytes& key);

struct Argon2Params {
  uint64_t ops_limit = 3;             // crypto_pwhash_OPSLIMIT_MODERATE
  uint64_t mem_limit = 256ull << 20;  // 256 MiB
};

// Argon2id(passphrase, salt). InvalidArgument for an empty passphrase or a
// salt of the wrong size; ResourceExhausted if memory cannot be had.
StatusOr<SecretBytes> DeriveRootKey(std::string_view passphrase, std::string_view salt,
                                    const Argon2Params& params);

}  // namespace vault::crypto
