// The SQL of V006 (idempotency_keys). Plain functions over a Database from
// Store::Read/Write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "store/sqlite.h"

namespace vault::store {

struct IdempotencyRow {
  std::string principal, key;
  std::string fingerprint;
  uint32_t fingerprint_key_id = 0;
  std::string state;  // "pending" | "done"
  int status = 0;
  std::string content_type, body;
  int64_t created_at = 0;
};

StatusOr<std::optional<IdempotencyRow>> FindIdempotency(Database& db, std::string_view principal,
                                                        std::string_view key);
// Inserts a pending row. Aborted if (principal, key) exists.
Status InsertIdempotency(Database& db, const IdempotencyRow& row);
Status CompleteIdempotency(Database& db, std::string_view principal, std::string_view key,
                           int status, std::string_view content_type, std::string_view body);
Status DeleteIdempotency(Database& db, std::string_view principal, std::string_view key);
Status PruneIdempotency(Database& db, int64_t older_than_ms);

}  // namespace vault::store
