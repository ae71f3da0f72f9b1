// The SQL of key rotation (V004) and of the batch walks it makes over the
// customers table. Plain functions over a Database from Store::Read/Write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite.h"

namespace vault::store {

struct RotationJobRow {
  int64_t id = 0;
  std::string purpose;  // "data" | "index"
  uint32_t old_key_id = 0, new_key_id = 0;
  std::string state;  // "running" | "done"
  int64_t total = 0, done = 0, cursor = 0;
  int64_t started_at = 0;
  std::optional<int64_t> finished_at;
};

// A customer row as rotation sees it: no name ciphertext needed.
struct RotationRow {
  int64_t rowid = 0;
  std::string id;
  std::string dek;
  uint32_t dek_key_id = 0;
  std::optional<std::string> email_ct, phone_ct;
  uint32_t email_idx_key_id = 0, phone_idx_key_id = 0;
};

Status InsertRotationJob(Database& db, RotationJobRow* row);
StatusOr<std::optional<RotationJobRow>> RunningRotationJob(Database& db);
StatusOr<std::optional<RotationJobRow>> LatestRotationJob(Database& db);
Status UpdateRotationJob(Database& db, const RotationJobRow& row);

// Up to `limit` rows after `after_rowid` whose DEK (data) or any blind index
// (index) is not under `new_key_id`, in rowid order.
StatusOr<std::vector<RotationRow>> RowsToRewrap(Database& db, int64_t after_rowid,
                                                uint32_t new_key_id, int limit);
StatusOr<std::vector<RotationRow>> RowsToReindex(Database& db, int64_t after_rowid,
                                                 uint32_t new_key_id, int limit);
StatusOr<int64_t> CountNotUnderDataKey(Database& db, uint32_t key_id);
StatusOr<int64_t> CountNotUnderIndexKey(Database& db, uint32_t key_id);

// Rewrite a row the rotation job read as `was`, only if it is unchanged
// since (same wrapped DEK, same ciphertexts); false if it changed or went.
StatusOr<bool> SetWrappedDek(Database& db, const RotationRow& was, std::string_view dek,
                             uint32_t key_id);
StatusOr<bool> SetBlindIndexes(Database& db, const RotationRow& was,
                               const std::optional<std::string>& email_idx,
                               const std::optional<std::string>& phone_idx, uint32_t key_id);

// Records using `key_id` for a DEK or an index; audit entries under it.
StatusOr<int64_t> RecordsUsingKey(Database& db, uint32_t key_id);
StatusOr<int64_t> AuditEntriesUsingKey(Database& db, uint32_t key_id);

}  // namespace vault::store
