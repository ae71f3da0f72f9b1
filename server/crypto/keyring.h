// The keyring: versioned keys wrapped by the root key, one row each in the
// `keyring` table. Purposes: `data` (KEKs that wrap per-record DEKs), `index`
// (blind-index keys), `audit` (the audit chain's MAC key). States: `active`
// (exactly one per purpose), `decrypt_only` (old, still readable), `destroyed`
// (material gone). A row's wrapped material is
//   version(1) ‖ nonce(24) ‖ ciphertext(32) ‖ tag(16),
//   AAD = "keyring" 0x00 ‖ id(4, big-endian) ‖ purpose name,
// so a row moved to another id or purpose fails to open.
//
// A Keyring object is an immutable snapshot of the unwrapped keys; share it
// as std::shared_ptr<const Keyring> across threads. Rotation builds a new
// snapshot and swaps it in (see KeyringHolder).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

enum class KeyPurpose { kData, kIndex, kAudit };
enum class KeyState { kActive, kDecryptOnly, kDestroyed };

inline constexpr KeyPurpose kAllPurposes[] = {KeyPurpose::kData, KeyPurpose::kIndex,
                                              KeyPurpose::kAudit};

const char* PurposeName(KeyPurpose purpose);
StatusOr<KeyPurpose> ParsePurpose(std::string_view name);
const char* StateName(KeyState state);
StatusOr<KeyState> ParseState(std::string_view name);

// A keyring row as persisted. `wrapped` is empty once destroyed.
struct KeyRow {
  uint32_t id = 0;
  KeyPurpose purpose = KeyPurpose::kData;
  KeyState state = KeyState::kActive;
  std::string wrapped;
  int64_t created_at = 0;  // Unix seconds
};

// Wraps `material` for row (id, purpose) under `root`.
std::string WrapKeyMaterial(const SecretBytes& root, uint32_t id, KeyPurpose purpose,
                            const SecretBytes& material);
StatusOr<SecretBytes> UnwrapKeyMaterial(const SecretBytes& root, uint32_t id, KeyPurpose purpose,
                                        std::string_view wrapped);

class Keyring {
 public:
  // Unwraps every row that is not destroyed. Returns FailedPrecondition
  // "the root key does not open this database's keyring" if any row fails,
  // and DataLoss if a purpose lacks exactly one active key.
  static StatusOr<std::shared_ptr<const Keyring>> Open(const SecretBytes& root,
                                                       std::vector<KeyRow> rows);

  // A new row holding fresh random material wrapped by `root`.
  static KeyRow NewRow(const SecretBytes& root, uint32_t id, KeyPurpose purpose, KeyState state,
                       int64_t created_at);

  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // The active key of `purpose`. REQUIRES: Open succeeded (so one exists).
  uint32_t ActiveId(KeyPurpose purpose) const;
  // Usable key material for (id, purpose), or nullptr when the id is unknown,
  // destroyed, or of another purpose.
  const SecretBytes* Find(uint32_t id, KeyPurpose purpose) const;
  // Ids of the usable keys of `purpose`: the active one first, then the
  // decrypt-only ones, newest first.
  std::vector<uint32_t> UsableIds(KeyPurpose purpose) const;
  // Every row, including destroyed ones, ordered by id.
  const std::vector<KeyRow>& rows() const { return rows_; }

 private:
  Keyring() = default;

  std::vector<KeyRow> rows_;
  std::map<uint32_t, SecretBytes> material_;  // by id, usable rows only
};

// Holds the current keyring snapshot; readers take a cheap shared_ptr copy
// that stays valid even if a rotation swaps in a new one. Thread-safe.
class KeyringHolder {
 public:
  explicit KeyringHolder(std::shared_ptr<const Keyring> keyring) : keyring_(std::move(keyring)) {}
  std::shared_ptr<const Keyring> Get() const {
    std::lock_guard lock(mu_);
    return keyring_;
  }
  void Set(std::shared_ptr<const Keyring> keyring) {
    std::lock_guard lock(mu_);
    keyring_ = std::move(keyring);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Keyring> keyring_;  // GUARDED_BY(mu_)
};

}  // namespace vault::crypto
