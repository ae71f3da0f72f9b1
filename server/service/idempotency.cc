#include "service/idempotency.h"

#include <sodium.h>

#include <chrono>
#include <thread>

#include "crypto/blind_index.h"
#include "store/idempotency_tables.h"

namespace vault::service {
namespace {

constexpr int64_t kWaitForPendingMs = 30 * 1000;

bool ValidKey(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;  // visible ASCII only
  }
  return true;
}

std::string Fingerprint(const crypto::Keyring& ring, uint32_t key_id, std::string_view request) {
  return crypto::KeyedDigest(*ring.Find(key_id, crypto::KeyPurpose::kIndex), "idempotency",
                             request);
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status Reused() {
  return FailedPrecondition("this Idempotency-Key was used with a different request; use a new key",
                            Reason::kIdempotencyKeyReused);
}

}  // namespace

IdempotencyService::IdempotencyService(store::Store& store, crypto::KeyringHolder& keys,
                                       Clock clock)
    : store_(store), keys_(keys), clock_(clock), started_ms_(clock_()) {}

StatusOr<StoredResponse> IdempotencyService::Run(const std::string& principal,
                                                 const std::string& key, std::string_view request,
                                                 const std::function<StoredResponse()>& fn) {
  if (!ValidKey(key)) {
    return InvalidArgument("Idempotency-Key must be 1-255 visible ASCII characters",
                           "idempotency_key_invalid");
  }
  std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
  int64_t deadline = clock_() + kWaitForPendingMs;
  for (;;) {
    // Reserve the key, or find who holds it, in one write.
    enum class Found { kReserved, kPending, kDone } found = Found::kReserved;
    store::IdempotencyRow existing;
    Status st = store_.Write([&](store::Database& db) -> Status {
      int64_t now = clock_();
      RETURN_IF_ERROR(store::PruneIdempotency(db, now - kRetentionMs));
      ASSIGN_OR_RETURN(auto row, store::FindIdempotency(db, principal, key));
      // Pending since before this process started: the process running it
      // was killed before it answered (one server per data directory), so
      // nothing will complete it. Run the retry instead of waiting forever.
      bool abandoned =
          row && row->state != "done" && row->created_at < started_ms_ &&
          ring->Find(row->fingerprint_key_id, crypto::KeyPurpose::kIndex) &&
          SameBytes(Fingerprint(*ring, row->fingerprint_key_id, request), row->fingerprint);
      if (abandoned) {
        RETURN_IF_ERROR(store::DeleteIdempotency(db, principal, key));
      } else if (row) {
        existing = std::move(*row);
        found = existing.state == "done" ? Found::kDone : Found::kPending;
        return Status::Ok();
      }
      store::IdempotencyRow fresh;
      fresh.principal = principal;
      fresh.key = key;
      fresh.fingerprint_key_id = ring->ActiveId(crypto::KeyPurpose::kIndex);
      fresh.fingerprint = Fingerprint(*ring, fresh.fingerprint_key_id, request);
      fresh.created_at = now;
      return store::InsertIdempotency(db, fresh);
    });
    RETURN_IF_ERROR(st);
    if (found == Found::kReserved) break;
    const crypto::SecretBytes* fkey =
        ring->Find(existing.fingerprint_key_id, crypto::KeyPurpose::kIndex);
    if (fkey == nullptr || !SameBytes(Fingerprint(*ring, existing.fingerprint_key_id, request),
                                      existing.fingerprint)) {
      return Reused();
    }
    if (found == Found::kDone) {
      return StoredResponse{existing.status, existing.content_type, existing.body, true};
    }
    // Another request with this key is running: wait for its response.
    if (clock_() > deadline) {
      return Aborted("a request with this Idempotency-Key is still running",
                     "idempotency_key_in_progress");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  StoredResponse response = fn();
  Status st = store_.Write([&](store::Database& db) -> Status {
    if (response.status >= 500) return store::DeleteIdempotency(db, principal, key);
    return store::CompleteIdempotency(db, principal, key, response.status, response.content_type,
                                      response.body);
  });
  if (!st.ok()) return st;
  return response;
}

}  // namespace vault::service
