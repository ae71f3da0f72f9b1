#include "service/key_rotation.h"

#include <chrono>

#include "common/log.h"
#include "crypto/blind_index.h"
#include "crypto/envelope.h"
#include "crypto/secret_bytes.h"
#include "service/vault.h"
#include "store/vault_tables.h"

namespace vault::service {
namespace {

using crypto::KeyPurpose;
using crypto::KeyState;

// How long a new job waits for requests still holding the keyring snapshot
// from before it started.
constexpr std::chrono::seconds kSnapshotGrace(5);

// A failed batch is retried after 0.1 s, 0.2 s, ... and then every 30 s.
constexpr int kMaxRetryDelayMs = 30'000;

// Failures that may pass by waiting.
bool Retryable(const Status& st) {
  return st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kResourceExhausted ||
         st.code() == StatusCode::kAborted;
}

Status ReindexRow(const crypto::Keyring& ring, const crypto::SecretBytes& index_key,
                  const store::RotationRow& r, std::optional<std::string>* email_idx,
                  std::optional<std::string>* phone_idx) {
  const crypto::SecretBytes* kek = ring.Find(r.dek_key_id, KeyPurpose::kData);
  if (kek == nullptr) return DataLoss("record " + r.id + ": its data key is gone");
  ASSIGN_OR_RETURN(crypto::SecretBytes dek, crypto::UnwrapDek(*kek, r.dek_key_id, r.id, r.dek));
  if (r.email_ct) {
    ASSIGN_OR_RETURN(std::string email, crypto::OpenField(dek, r.id, "email", *r.email_ct));
    *email_idx = crypto::BlindIndex(index_key, crypto::IndexKind::kEmail, email);
    crypto::WipeString(email);
  }
  if (r.phone_ct) {
    ASSIGN_OR_RETURN(std::string phone, crypto::OpenField(dek, r.id, "phone", *r.phone_ct));
    *phone_idx = crypto::BlindIndex(index_key, crypto::IndexKind::kPhone, phone);
    crypto::WipeString(phone);
  }
  return Status::Ok();
}

RotationProgress ToProgress(const store::RotationJobRow& job) {
  RotationProgress p;
  p.exists = true;
  p.job_id = job.id;
  p.purpose = job.purpose;
  p.state = job.state;
  p.old_key_id = job.old_key_id;
  p.new_key_id = job.new_key_id;
  p.done = job.done;
  p.total = job.total;
  p.started_at_ms = job.started_at;
  p.finished_at_ms = job.finished_at;
  return p;
}

}  // namespace

KeyRotator::KeyRotator(store::Store& store, crypto::KeyringHolder& keys,
                       const crypto::SecretBytes& root, audit::AuditLog& audit,
                       RotationOptions options, Clock clock)
    : store_(store), keys_(keys), root_(root), audit_(audit), options_(options), clock_(clock) {}

KeyRotator::~KeyRotator() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();  // ends a retry's back-off
  if (thread_.joinable()) thread_.join();
}

void KeyRotator::StartThread(int64_t job_id) {
  std::unique_lock lock(mu_);
  // A previous job's thread may still be on its way out (it takes mu_ to say
  // so): wait for that, and join it without holding mu_.
  cv_.wait(lock, [&] { return !running_; });
  std::thread previous = std::move(thread_);
  running_ = true;
  run_started_ms_ = clock_();
  run_started_done_ = -1;
  thread_ = std::thread([this, job_id] { Run(job_id); });
  lock.unlock();
  if (previous.joinable()) previous.join();
}

Status KeyRotator::ResumePending() {
  std::optional<store::RotationJobRow> job;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(job, store::RunningRotationJob(db));
    return Status::Ok();
  }));
  if (job) {
    log::Info("resuming " + job->purpose + " key rotation job " + std::to_string(job->id) + " at " +
              std::to_string(job->done) + "/" + std::to_string(job->total));
    StartThread(job->id);
  }
  return Status::Ok();
}

StatusOr<RotationProgress> KeyRotator::Start(KeyPurpose purpose, const audit::Entry& entry) {
  if (purpose == KeyPurpose::kAudit) {
    return InvalidArgument("only data and index keys rotate online", "purpose_invalid");
  }
  store::RotationJobRow job;
  Status st = store_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto running, store::RunningRotationJob(db));
    if (running) {
      return FailedPrecondition("a " + running->purpose + " key rotation is already running",
                                "rotation_running");
    }
    ASSIGN_OR_RETURN(auto rows, store::LoadKeyRows(db));
    uint32_t old_id = 0;
    for (const auto& row : rows) {
      if (row.purpose == purpose && row.state == KeyState::kActive) old_id = row.id;
    }
    if (old_id == 0) return DataLoss("no active key to rotate", "keyring_corrupt");
    ASSIGN_OR_RETURN(uint32_t new_id, store::NextKeyId(db));
    int64_t now = clock_();
    RETURN_IF_ERROR(store::SetKeyState(db, old_id, KeyState::kDecryptOnly, now / 1000));
    RETURN_IF_ERROR(store::InsertKeyRow(
        db, crypto::Keyring::NewRow(root_, new_id, purpose, KeyState::kActive, now / 1000)));
    job.purpose = crypto::PurposeName(purpose);
    job.old_key_id = old_id;
    job.new_key_id = new_id;
    job.state = "running";
    if (purpose == KeyPurpose::kData) {
      ASSIGN_OR_RETURN(job.total, store::CountNotUnderDataKey(db, new_id));
    } else {
      ASSIGN_OR_RETURN(job.total, store::CountNotUnderIndexKey(db, new_id));
    }
    job.started_at = now;
    RETURN_IF_ERROR(store::InsertRotationJob(db, &job));
    audit::Entry e = entry;
    e.record_id = "key:" + std::to_string(new_id);
    e.detail = std::string("purpose=") + job.purpose + " old_key=" + std::to_string(old_id) +
               " records=" + std::to_string(job.total);
    return audit_.Append(db, e).status();
  });
  RETURN_IF_ERROR(st);
  // From here on every new record uses the new key; rows written with the
  // old snapshot in the meantime are picked up by the job's final pass.
  std::weak_ptr<const crypto::Keyring> previous = keys_.Get();
  RETURN_IF_ERROR(ReloadKeyring(store_, root_, keys_));
  // A request that took the previous snapshot may not have read yet (a
  // search computes its probes, then reads): were the job to move a record
  // first, that search would miss it, or fail to decrypt it. Requests hold a
  // snapshot for milliseconds, so the job starts once they are all done.
  auto deadline = std::chrono::steady_clock::now() + kSnapshotGrace;
  while (!previous.expired() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!previous.expired()) {
    log::Warn("key rotation starts while a pre-rotation keyring snapshot is still held");
  }
  StartThread(job.id);
  return ToProgress(job);
}

StatusOr<KeyRotator::Batch> KeyRotator::PrepareBatch(const store::RotationJobRow& job) const {
  std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
  const bool data = job.purpose == "data";
  const KeyPurpose purpose = data ? KeyPurpose::kData : KeyPurpose::kIndex;
  const crypto::SecretBytes* new_key = ring->Find(job.new_key_id, purpose);
  if (new_key == nullptr) return DataLoss("the rotation's new key is missing");
  Batch batch;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    if (data) {
      ASSIGN_OR_RETURN(batch.rows,
                       store::RowsToRewrap(db, job.cursor, job.new_key_id, options_.batch_size));
    } else {
      ASSIGN_OR_RETURN(batch.rows,
                       store::RowsToReindex(db, job.cursor, job.new_key_id, options_.batch_size));
    }
    return Status::Ok();
  }));
  const size_t n = batch.rows.size();
  if (data) {
    batch.deks.resize(n);
  } else {
    batch.email_idx.resize(n);
    batch.phone_idx.resize(n);
  }
  for (size_t i = 0; i < n; ++i) {
    const store::RotationRow& r = batch.rows[i];
    if (data) {
      const crypto::SecretBytes* old_kek = ring->Find(r.dek_key_id, KeyPurpose::kData);
      if (old_kek == nullptr) return DataLoss("record " + r.id + ": its data key is gone");
      ASSIGN_OR_RETURN(crypto::SecretBytes dek,
                       crypto::UnwrapDek(*old_kek, r.dek_key_id, r.id, r.dek));
      batch.deks[i] = crypto::WrapDek(*new_key, job.new_key_id, r.id, dek);
    } else {
      RETURN_IF_ERROR(ReindexRow(*ring, *new_key, r, &batch.email_idx[i], &batch.phone_idx[i]));
    }
  }
  return batch;
}

StatusOr<bool> KeyRotator::ApplyBatch(const Batch& batch, store::RotationJobRow& job) {
  // Each row only if unchanged since it was read (a record updated or
  // erased meanwhile is left to the final pass), plus the job's checkpoint.
  // Batches need not wait for the fsync: a batch lost to a power cut is
  // redone from the checkpoint before it, and the job's last write, and any
  // key destruction after it, are durable (their fsync covers every batch
  // before them).
  const bool data = job.purpose == "data";
  const auto& rows = batch.rows;
  bool finished = false;
  store::RotationJobRow next = job;
  Status st = store_.Write(
      [&](store::Database& db) -> Status {
        next = job;
        for (size_t i = 0; i < rows.size(); ++i) {
          if (data) {
            RETURN_IF_ERROR(
                store::SetWrappedDek(db, rows[i], batch.deks[i], job.new_key_id).status());
          } else {
            RETURN_IF_ERROR(store::SetBlindIndexes(db, rows[i], batch.email_idx[i],
                                                   batch.phone_idx[i], job.new_key_id)
                                .status());
          }
        }
        next.done += static_cast<int64_t>(rows.size());
        if (!rows.empty()) {
          next.cursor = rows.back().rowid;
          return store::UpdateRotationJob(db, next);
        }
        int64_t left = 0;
        if (data) {
          ASSIGN_OR_RETURN(left, store::CountNotUnderDataKey(db, next.new_key_id));
        } else {
          ASSIGN_OR_RETURN(left, store::CountNotUnderIndexKey(db, next.new_key_id));
        }
        if (left > 0) {
          next.cursor = 0;  // stragglers (changed meanwhile, or written under the old snapshot)
          next.total = std::max(next.total, next.done + left);
        } else {
          next.state = "done";
          next.finished_at = clock_();
          next.total = std::max(next.total, next.done);
          finished = true;
          audit::Entry e(audit::AuditAction::kKeysRotationComplete);
          e.principal = "system";
          e.record_id = "key:" + std::to_string(next.new_key_id);
          e.detail = "purpose=" + next.purpose + " records=" + std::to_string(next.done);
          RETURN_IF_ERROR(audit_.Append(db, e).status());
        }
        return store::UpdateRotationJob(db, next);
      },
      rows.empty() ? store::Durability::kDurable : store::Durability::kWritten);
  RETURN_IF_ERROR(st);
  job = next;
  return finished;
}

void KeyRotator::Run(int64_t job_id) {
  std::optional<store::RotationJobRow> job;
  Status st = store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(job, store::RunningRotationJob(db));
    return Status::Ok();
  });
  int failures = 0;
  std::optional<Batch> ready;  // read and rewrapped for job->cursor
  while (st.ok() && job && job->id == job_id) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      if (run_started_done_ < 0) run_started_done_ = job->done;
    }
    store::RotationJobRow attempt = *job;
    StatusOr<bool> finished = false;
    if (!ready) {
      auto prepared = PrepareBatch(attempt);
      if (prepared.ok()) {
        ready = std::move(*prepared);
      } else {
        finished = prepared.status();
      }
    }
    if (ready) {
      // Write this batch while the next one is read and rewrapped: the
      // rows after this batch's last are not touched by its write.
      std::optional<Batch> ahead;
      store::RotationJobRow ahead_job = attempt;
      std::thread reader;
      if (!ready->rows.empty()) {
        ahead_job.cursor = ready->rows.back().rowid;
        reader = std::thread([&] {
          auto prepared = PrepareBatch(ahead_job);
          if (prepared.ok()) ahead = std::move(*prepared);
        });
      }
      finished = ApplyBatch(*ready, attempt);
      if (reader.joinable()) reader.join();
      ready.reset();
      // Only when the job moved on as expected (not a final pass that went
      // back to the start for stragglers).
      if (finished.ok() && ahead && attempt.cursor == ahead_job.cursor) ready = std::move(ahead);
    }
    if (!finished.ok()) {
      // Nothing of the failed batch was kept. A failure that can pass (a
      // full disk, storage briefly unavailable, a conflict) is retried from
      // the last checkpoint for as long as it takes, backing off; the job
      // stays "running" and goes on by itself once writes succeed. Any other
      // (a key or record that fails its integrity check) cannot pass by
      // waiting: the job stops here, still "running", and is tried again
      // at the next start, after the operator has looked at the log.
      if (!Retryable(finished.status())) {
        log::Error("key rotation job " + std::to_string(job_id) +
                   " stopped: " + finished.status().ToString() +
                   "; it resumes from its checkpoint when the server next starts");
        break;
      }
      ++failures;
      auto delay = std::min(std::chrono::milliseconds(100) * failures,
                            std::chrono::milliseconds(kMaxRetryDelayMs));
      log::Error("key rotation batch failed (attempt " + std::to_string(failures) +
                 "): " + finished.status().ToString() + "; retrying in " +
                 std::to_string(delay.count()) + " ms");
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, delay, [&] { return stopping_; });
      continue;
    }
    failures = 0;
    *job = attempt;
    if (*finished) {
      log::Info("key rotation job " + std::to_string(job_id) +
                " done: " + std::to_string(job->done) + " records");
      if (options_.after_done) options_.after_done();
      break;
    }
    if (options_.after_batch && !options_.after_batch(job->done)) break;
    if (options_.pause_ms > 0) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.pause_ms), [&] { return stopping_; });
    }
  }
  if (!st.ok()) log::Error("key rotation could not start: " + st.ToString());
  {
    std::lock_guard lock(mu_);
    running_ = false;
  }
  cv_.notify_all();
}

void KeyRotator::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !running_; });
}

StatusOr<RotationProgress> KeyRotator::Progress() const {
  std::optional<store::RotationJobRow> job;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(job, store::LatestRotationJob(db));
    return Status::Ok();
  }));
  if (!job) return RotationProgress{};
  RotationProgress p = ToProgress(*job);
  std::lock_guard lock(mu_);
  int64_t now = clock_();
  if (job->state == "running" && run_started_done_ >= 0 && now > run_started_ms_) {
    p.rate_per_second =
        static_cast<double>(job->done - run_started_done_) * 1000.0 / (now - run_started_ms_);
  } else if (job->finished_at && *job->finished_at > job->started_at) {
    p.rate_per_second =
        static_cast<double>(job->done) * 1000.0 / (*job->finished_at - job->started_at);
  }
  if (job->state == "running" && p.rate_per_second > 0) {
    p.eta_seconds =
        static_cast<double>(std::max<int64_t>(0, job->total - job->done)) / p.rate_per_second;
  }
  return p;
}

StatusOr<std::vector<KeyInfo>> KeyRotator::ListKeys() const {
  std::vector<KeyInfo> out;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto rows, store::LoadKeyRows(db));
    for (const auto& row : rows) {
      KeyInfo k;
      k.id = row.id;
      k.purpose = crypto::PurposeName(row.purpose);
      k.state = crypto::StateName(row.state);
      k.created_at = row.created_at;
      ASSIGN_OR_RETURN(k.records, store::RecordsUsingKey(db, row.id));
      ASSIGN_OR_RETURN(k.audit_entries, store::AuditEntriesUsingKey(db, row.id));
      out.push_back(std::move(k));
    }
    return Status::Ok();
  }));
  return out;
}

Status KeyRotator::Destroy(uint32_t id, const audit::Entry& entry) {
  RETURN_IF_ERROR(store_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto rows, store::LoadKeyRows(db));
    const crypto::KeyRow* key = nullptr;
    for (const auto& row : rows) {
      if (row.id == id) key = &row;
    }
    if (key == nullptr) return NotFound("no key with id " + std::to_string(id), "key_not_found");
    if (key->state == KeyState::kDestroyed) {
      return FailedPrecondition("key " + std::to_string(id) + " is destroyed already",
                                "key_destroyed");
    }
    if (key->state == KeyState::kActive) {
      return FailedPrecondition("key " + std::to_string(id) + " is active; rotate it first",
                                "key_in_use");
    }
    ASSIGN_OR_RETURN(auto running, store::RunningRotationJob(db));
    if (running && (running->old_key_id == id || running->new_key_id == id)) {
      return FailedPrecondition(
          "key " + std::to_string(id) + " is part of the running rotation; wait for it",
          "key_in_use");
    }
    ASSIGN_OR_RETURN(int64_t records, store::RecordsUsingKey(db, id));
    ASSIGN_OR_RETURN(int64_t entries, store::AuditEntriesUsingKey(db, id));
    if (records > 0 || entries > 0) {
      return FailedPrecondition("key " + std::to_string(id) + " is still used by " +
                                    std::to_string(records) + " records and " +
                                    std::to_string(entries) + " audit entries",
                                "key_in_use");
    }
    RETURN_IF_ERROR(store::SetKeyState(db, id, KeyState::kDestroyed, clock_() / 1000));
    audit::Entry e = entry;
    e.record_id = "key:" + std::to_string(id);
    e.detail = std::string("purpose=") + crypto::PurposeName(key->purpose);
    return audit_.Append(db, e).status();
  }));
  return ReloadKeyring(store_, root_, keys_);
}

}  // namespace vault::service
