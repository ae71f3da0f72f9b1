// The SQL of V005 (consent_events) and of the privacy jobs' reads over
// customers (retention). Plain functions over a Database the caller got from
// Store::Read or Store::Write. Rows hold ids, purpose and channel names and
// times only: never PII. The ledger is append-only (triggers in V005); rows
// leave only with their customer's erasure (ON DELETE CASCADE).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/sqlite.h"

namespace vault::store {

struct ConsentRow {
  int64_t seq = 0;
  std::string customer_id;
  std::string purpose;
  bool granted = false;
  std::string channel;  // web, pos, import, staff
  std::string actor;    // principal label
  std::string notice_version;
  std::string notice_hash;  // hex
  int64_t time_ms = 0;
  int64_t audit_seq = 0;
};

// Appends `row` (its seq is ignored) and returns the new seq. NotFound if
// the customer does not exist.
StatusOr<int64_t> InsertConsent(Database& db, const ConsentRow& row);
// Every row of one customer, oldest first.
StatusOr<std::vector<ConsentRow>> ConsentHistory(Database& db, std::string_view customer_id);
// The newest row per purpose of one customer, ordered by purpose.
StatusOr<std::vector<ConsentRow>> CurrentConsents(Database& db, std::string_view customer_id);
// Ids of the customers whose newest row for `purpose` is a grant, ordered.
StatusOr<std::vector<std::string>> CustomersConsentingTo(Database& db, std::string_view purpose);

struct UnseenCustomer {
  std::string id;
  int64_t last_seen_at = 0;  // Unix seconds
};
// Customers last seen before `before_s` (Unix seconds), oldest first.
StatusOr<std::vector<UnseenCustomer>> CustomersUnseenSince(Database& db, int64_t before_s);

// Checkpoints the WAL into the main file and truncates it to zero bytes, so
// no old page (of an erased record) survives in it. `db` must be a
// read-write connection outside any transaction. Unavailable("wal_busy") if
// a reader or writer kept the checkpoint from completing.
Status TruncateWal(Database& db);

}  // namespace vault::store
