// The SQL of the vault core's tables (schema/V001__core.sql): settings in
// `meta`, the wrapped keyring, and customers (ciphertexts, blind indexes, key
// ids and times only). Plain functions over a Database the caller got from
// Store::Read or Store::Write; they never see plaintext or key material.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "crypto/keyring.h"
#include "store/sqlite.h"

namespace vault::store {

// --- meta ---
StatusOr<std::optional<std::string>> GetMeta(Database& db, std::string_view key);
Status SetMeta(Database& db, std::string_view key, std::string_view value);
Status DeleteMeta(Database& db, std::string_view key);

// --- keyring ---
StatusOr<std::vector<crypto::KeyRow>> LoadKeyRows(Database& db);
Status InsertKeyRow(Database& db, const crypto::KeyRow& row);
// Sets the state (and, for kDestroyed, drops the material and stamps the time).
Status SetKeyState(Database& db, uint32_t id, crypto::KeyState state, int64_t now);
// Replaces every row's wrapped material (root rekey).
Status RewrapKeyRow(Database& db, uint32_t id, std::string_view wrapped);
StatusOr<uint32_t> NextKeyId(Database& db);

// --- customers ---
struct CustomerRow {
  std::string id;
  std::string dek;  // wrapped
  uint32_t dek_key_id = 0;
  std::optional<std::string> email_ct, phone_ct, name_ct;
  std::optional<std::string> email_idx, phone_idx;
  uint32_t email_idx_key_id = 0, phone_idx_key_id = 0;
  int64_t created_at = 0, updated_at = 0, last_seen_at = 0;
};

// One blind index to look for, under the index key that made it.
struct IndexProbe {
  uint32_t key_id;
  std::string index;
};

Status InsertCustomer(Database& db, const CustomerRow& row);
// Replaces ciphertexts, indexes and updated_at of an existing row.
// NotFound if the id does not exist.
Status UpdateCustomer(Database& db, const CustomerRow& row);
// Deletes the row (secure_delete zeroes its pages). Returns false if absent.
StatusOr<bool> DeleteCustomer(Database& db, std::string_view id);
StatusOr<std::optional<CustomerRow>> FindCustomer(Database& db, std::string_view id);
// Rows whose email (or phone) index equals any probe, ordered by created_at.
StatusOr<std::vector<CustomerRow>> FindByEmailIndex(Database& db,
                                                    const std::vector<IndexProbe>& probes);
StatusOr<std::vector<CustomerRow>> FindByPhoneIndex(Database& db,
                                                    const std::vector<IndexProbe>& probes);
Status TouchCustomer(Database& db, std::string_view id, int64_t now, int64_t resolution);
StatusOr<int64_t> CountCustomers(Database& db);
// How many records use each key id for their DEK or an index.
StatusOr<std::vector<std::pair<uint32_t, int64_t>>> KeyUsage(Database& db);

}  // namespace vault::store
