// Idempotency for creating POSTs: a client sends `Idempotency-Key`; the
// first request with that key (per principal) runs, and its response is kept
// for 24 hours; a retry with the same key and the same request gets that
// response back instead of running again; the same key with a different
// request is refused (FailedPrecondition "idempotency_key_reused" → 422).
// Concurrent requests with one key: one runs, the others wait for its
// response; a key left pending by an earlier process (killed before it
// answered) is run again by the first retry. Requests are remembered only as a keyed digest (no
// plaintext). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "store/store.h"

namespace vault::service {

struct StoredResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  bool replayed = false;  // true when this is the first response, sent again
};

class IdempotencyService {
 public:
  IdempotencyService(store::Store& store, crypto::KeyringHolder& keys, Clock clock = SystemClock());

  // Runs `fn` at most once per (principal, key, request). `request` is what
  // identifies the request (method, path, body). Responses with status >= 500
  // are not kept, so a retry runs again. InvalidArgument for a malformed key.
  StatusOr<StoredResponse> Run(const std::string& principal, const std::string& key,
                               std::string_view request, const std::function<StoredResponse()>& fn);

  static constexpr int64_t kRetentionMs = 24LL * 60 * 60 * 1000;

 private:
  store::Store& store_;
  crypto::KeyringHolder& keys_;
  Clock clock_;
  const int64_t started_ms_;  // keys pending since before this are abandoned
};

}  // namespace vault::service
