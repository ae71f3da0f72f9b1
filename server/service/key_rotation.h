// KeyRotator: online, resumable key rotation.
//  - data: a new active KEK; the old one turns decrypt_only; a background job
//    rewraps every DEK under the new KEK (field ciphertexts untouched).
//  - index: a new active index key; the job recomputes each record's blind
//    indexes; searches probe every usable index key meanwhile, so no lookup
//    misses during the job.
// Each batch is read on a reader and rewrapped on the job's thread, then
// written in one short transaction through the group-commit writer (each row
// only if unchanged since it was read), with the job's checkpoint (cursor,
// done), so a crash or restart resumes where it stopped. Records written during the job already use
// the new key. Progress gives done/total, rate and ETA. Destroying a key is refused while any
// record or audit entry still uses it.
//
// Thread-safe. The job runs on one background thread owned by this object.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "store/key_tables.h"
#include "store/store.h"

namespace vault::service {

struct RotationProgress {
  bool exists = false;  // false: no rotation ever ran
  int64_t job_id = 0;
  std::string purpose;
  std::string state;  // "running" | "done"
  uint32_t old_key_id = 0, new_key_id = 0;
  int64_t done = 0, total = 0;
  double rate_per_second = 0;  // since this process picked the job up
  double eta_seconds = 0;
  int64_t started_at_ms = 0;
  std::optional<int64_t> finished_at_ms;
};

struct KeyInfo {
  uint32_t id = 0;
  std::string purpose, state;
  int64_t created_at = 0;
  int64_t records = 0;        // records whose DEK or an index uses it
  int64_t audit_entries = 0;  // audit entries MACed under it
};

struct RotationOptions {
  // Rows per batch: each batch holds the single writer for one short
  // transaction of this many conditional UPDATEs (a few milliseconds).
  int batch_size = 256;
  // Pause between batches, to leave room for lookups on a busy machine.
  int pause_ms = 0;
  // Tests: called on the job's thread after each batch is written (not the
  // last), with the records done so far; returning false stops the job
  // there, as a shutdown would.
  std::function<bool(int64_t done)> after_batch;
  // Tests: called on the job's thread once the job is committed "done"
  // (Progress() says so from then on), before the thread leaves.
  std::function<void()> after_done;
};

class KeyRotator {
 public:
  KeyRotator(store::Store& store, crypto::KeyringHolder& keys, const crypto::SecretBytes& root,
             audit::AuditLog& audit, RotationOptions options = {}, Clock clock = SystemClock());
  ~KeyRotator();
  KeyRotator(const KeyRotator&) = delete;
  KeyRotator& operator=(const KeyRotator&) = delete;

  // Picks up a job left running by a previous process. Call once at start.
  Status ResumePending();

  // Adds the new key, demotes the old one and starts the job, with `entry`
  // (the caller's audit entry) in the same transaction. FailedPrecondition
  // ("rotation_running") while another job runs; InvalidArgument for the
  // audit purpose (its key rotates with `keys rotate --purpose audit`, not
  // supported online). May wait (up to 5 s) for requests that took the old
  // keyring snapshot before the rotation to finish before the job starts.
  StatusOr<RotationProgress> Start(crypto::KeyPurpose purpose, const audit::Entry& entry);

  StatusOr<RotationProgress> Progress() const;
  StatusOr<std::vector<KeyInfo>> ListKeys() const;

  // Destroys key `id`: its wrapped material leaves the keyring, with `entry`
  // in the same transaction. FailedPrecondition while it is active, used by
  // any record or audit entry, or part of a running job.
  Status Destroy(uint32_t id, const audit::Entry& entry);

  // Blocks until this process's job thread is idle (tests). While a failing
  // batch is being retried, that is not before the batch succeeds.
  void WaitIdle();

 private:
  // A batch read and rewrapped, ready to write.
  struct Batch {
    std::vector<store::RotationRow> rows;  // as read
    std::vector<std::string> deks;         // data: each row's DEK under the new key
    std::vector<std::optional<std::string>> email_idx, phone_idx;  // index: new indexes
  };
  void Run(int64_t job_id);
  // Reads the rows after job.cursor on a reader and rewraps them on this
  // thread: the single writer is not held for the scan or the crypto.
  StatusOr<Batch> PrepareBatch(const store::RotationJobRow& job) const;
  // Writes `batch` and the job's checkpoint in one short transaction.
  // Returns true when the job is done.
  StatusOr<bool> ApplyBatch(const Batch& batch, store::RotationJobRow& job);
  void StartThread(int64_t job_id);

  store::Store& store_;
  crypto::KeyringHolder& keys_;
  const crypto::SecretBytes& root_;
  audit::AuditLog& audit_;
  RotationOptions options_;
  Clock clock_;

  mutable std::mutex mu_;
  // The job thread ended (WaitIdle, StartThread), or stopping_ was set (a
  // back-off or pause ends at once).
  std::condition_variable cv_;
  bool running_ = false;          // GUARDED_BY(mu_)
  bool stopping_ = false;         // GUARDED_BY(mu_)
  int64_t run_started_ms_ = 0;    // GUARDED_BY(mu_)
  int64_t run_started_done_ = 0;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace vault::service
