// The tamper-evident audit log. Every entry is chained to the one before:
//   mac_i = BLAKE2b-256(key = audit key, mac_{i-1} ‖ canonical(entry_i))
// with mac_0 = 32 zero bytes, and canonical() as in schema/FORMATS.md. The
// meta row "audit.head" holds the newest (seq, mac) under a MAC of its own, so
// cutting entries off the end is caught too, not only edits, deletions and
// reorderings. Entries never hold a plaintext value: a search records that it
// happened and what came of it, not the term searched.
//
// Append() runs inside the caller's write transaction, so a change and its
// entry commit together; Record() commits an entry on its own (a reveal's
// entry is durable before the plaintext is sent). Either failing returns
// AuditUnavailable() (IsAuditUnavailable): callers fail closed. An entry recorded
// store::Durability::kWritten (lookups and refusals, which change and reveal
// nothing) is committed before Record returns, so a killed process cannot
// lose it, and reaches the disk with the store's next fsync (store/store.h).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "audit/audit_action.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "store/audit_tables.h"
#include "store/store.h"

namespace vault::audit {

// One entry as a caller describes it; AuditLog adds seq, time, key and MAC.
struct Entry {
  // Every entry names what was done.
  explicit Entry(AuditAction what) : action(what) {}

  std::string principal = "anonymous";  // "employee:alice", "service:till-3"
  std::string roles;                    // comma-separated
  AuditAction action;                   // stored by its name, "customer.search"
  std::string record_id;
  std::string fields;  // "email:masked,phone:masked"
  std::string reason;
  std::string outcome = "success";  // success, denied, not_found, invalid, ...
  std::string detail;
  std::string request_id;
  std::string client;
};

// What a caller can later check against the log (an erasure receipt).
struct Receipt {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string mac_hex;
};

struct VerifyResult {
  int64_t entries = 0;
  bool intact = true;
  int64_t first_broken_seq = 0;  // when !intact
  std::string problem;           // when !intact: what is wrong there
};

// The canonical byte encoding of an entry (seq, time, every text field,
// key id), as chained. Exposed for tests and for FORMATS.md.
std::string Canonical(const store::AuditRow& row);

// The one failure a caller sees when an entry cannot be written: Unavailable
// with Reason::kAuditUnavailable, and no detail for the client.
Status AuditUnavailable();

// Outcome name for a failed status: "denied", "not_found", "invalid", ...
std::string OutcomeFor(const Status& status);

class AuditLog {
 public:
  AuditLog(store::Store& store, crypto::KeyringHolder& keys, Clock clock = SystemClock());

  // Appends `entry` inside the current write transaction on `db`.
  StatusOr<Receipt> Append(store::Database& db, const Entry& entry);

  // Appends `entry` in its own write and waits until it is committed as
  // `durability` asks.
  StatusOr<Receipt> Record(const Entry& entry,
                           store::Durability durability = store::Durability::kDurable);

  // Walks the whole chain. intact == false names the first entry whose MAC,
  // sequence number or key does not hold (or the head that does not match).
  StatusOr<VerifyResult> Verify() const;

  // The one receipt check: whether `receipt` names the entry stored at its
  // seq (same MAC and time), that entry is a successful `action` on
  // `record_id` by `principal`, and the chain is intact up to it. Returns ""
  // if so, else the first problem found, in words (never a stored value).
  StatusOr<std::string> CheckReceipt(const Receipt& receipt, AuditAction action,
                                     std::string_view record_id, std::string_view principal) const;

  uint64_t entries_written() const { return written_.load(); }
  uint64_t failures() const { return failures_.load(); }

 private:
  store::Store& store_;
  crypto::KeyringHolder& keys_;
  Clock clock_;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> failures_{0};
};

// Verifies the chain in `db` with `ring` (the CLI opens the file itself).
StatusOr<VerifyResult> VerifyChain(store::Database& db, const crypto::Keyring& ring);

}  // namespace vault::audit
