#include "crypto/keyring.h"

#include <algorithm>

#include "crypto/aead.h"

namespace vault::crypto {
namespace {

constexpr uint8_t kKeyringVersion = 1;
constexpr size_t kKeySize = 32;

std::string KeyringAad(uint32_t id, KeyPurpose purpose) {
  std::string aad("keyring", 7);
  aad.push_back('\0');
  aad.push_back(static_cast<char>(id >> 24));
  aad.push_back(static_cast<char>(id >> 16));
  aad.push_back(static_cast<char>(id >> 8));
  aad.push_back(static_cast<char>(id));
  aad.append(PurposeName(purpose));
  return aad;
}

}  // namespace

const char* PurposeName(KeyPurpose purpose) {
  switch (purpose) {
    case KeyPurpose::kData:
      return "data";
    case KeyPurpose::kIndex:
      return "index";
    case KeyPurpose::kAudit:
      return "audit";
  }
  return "?";
}

StatusOr<KeyPurpose> ParsePurpose(std::string_view name) {
  for (KeyPurpose p : kAllPurposes) {
    if (name == PurposeName(p)) return p;
  }
  return InvalidArgument("purpose must be one of data, index, audit", "purpose_invalid");
}

const char* StateName(KeyState state) {
  switch (state) {
    case KeyState::kActive:
      return "active";
    case KeyState::kDecryptOnly:
      return "decrypt_only";
    case KeyState::kDestroyed:
      return "destroyed";
  }
  return "?";
}

StatusOr<KeyState> ParseState(std::string_view name) {
  for (KeyState s : {KeyState::kActive, KeyState::kDecryptOnly, KeyState::kDestroyed}) {
    if (name == StateName(s)) return s;
  }
  return DataLoss("unknown key state in keyring", "keyring_corrupt");
}

std::string WrapKeyMaterial(const SecretBytes& root, uint32_t id, KeyPurpose purpose,
                            const SecretBytes& material) {
  std::string out(1, static_cast<char>(kKeyringVersion));
  out.append(AeadSeal(root, material.ExposeSecret(), KeyringAad(id, purpose)));
  return out;
}

StatusOr<SecretBytes> UnwrapKeyMaterial(const SecretBytes& root, uint32_t id, KeyPurpose purpose,
                                        std::string_view wrapped) {
  if (wrapped.empty() || static_cast<uint8_t>(wrapped[0]) != kKeyringVersion) {
    return DecryptionFailed();
  }
  return AeadOpenSecret(root, wrapped.substr(1), KeyringAad(id, purpose));
}

KeyRow Keyring::NewRow(const SecretBytes& root, uint32_t id, KeyPurpose purpose, KeyState state,
                       int64_t created_at) {
  SecretBytes material = SecretBytes::Random(kKeySize);
  KeyRow row;
  row.id = id;
  row.purpose = purpose;
  row.state = state;
  row.wrapped = WrapKeyMaterial(root, id, purpose, material);
  row.created_at = created_at;
  return row;
}

StatusOr<std::shared_ptr<const Keyring>> Keyring::Open(const SecretBytes& root,
                                                       std::vector<KeyRow> rows) {
  std::shared_ptr<Keyring> ring(new Keyring());
  std::sort(rows.begin(), rows.end(), [](const KeyRow& a, const KeyRow& b) { return a.id < b.id; });
  for (const KeyRow& row : rows) {
    if (row.state == KeyState::kDestroyed) continue;
    auto material = UnwrapKeyMaterial(root, row.id, row.purpose, row.wrapped);
    if (!material.ok() || material->size() != kKeySize) {
      return FailedPrecondition("the root key does not open this database's keyring",
                                "root_key_mismatch");
    }
    ring->material_.emplace(row.id, std::move(material).value());
  }
  for (KeyPurpose p : kAllPurposes) {
    int active = 0;
    for (const KeyRow& row : rows) {
      if (row.purpose == p && row.state == KeyState::kActive) ++active;
    }
    if (active != 1) {
      return DataLoss(
          std::string("keyring must hold exactly one active ") + PurposeName(p) + " key",
          "keyring_corrupt");
    }
  }
  ring->rows_ = std::move(rows);
  return std::shared_ptr<const Keyring>(std::move(ring));
}

uint32_t Keyring::ActiveId(KeyPurpose purpose) const {
  for (const KeyRow& row : rows_) {
    if (row.purpose == purpose && row.state == KeyState::kActive) return row.id;
  }
  return 0;  // Unreachable after a successful Open.
}

const SecretBytes* Keyring::Find(uint32_t id, KeyPurpose purpose) const {
  auto it = material_.find(id);
  if (it == material_.end()) return nullptr;
  for (const KeyRow& row : rows_) {
    if (row.id == id) return row.purpose == purpose ? &it->second : nullptr;
  }
  return nullptr;
}

std::vector<uint32_t> Keyring::UsableIds(KeyPurpose purpose) const {
  std::vector<uint32_t> ids;
  ids.push_back(ActiveId(purpose));
  for (auto it = rows_.rbegin(); it != rows_.rend(); ++it) {
    if (it->purpose == purpose && it->state == KeyState::kDecryptOnly) {
      ids.push_back(it->id);
    }
  }
  return ids;
}

}  // namespace vault::crypto
