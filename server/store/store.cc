#include "store/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>

#include "common/log.h"
#include "store/migrations.h"
#include "store/privacy_tables.h"

namespace vault::store {
namespace {

int MigrationVersion(const EmbeddedFile& file) {
  // "V001__core.sql" -> 1
  return std::atoi(file.name + 1);
}

constexpr size_t kBuckets = 11;  // <=1 .. <=512, +Inf

size_t BucketFor(size_t n) {
  size_t bucket = 0;
  size_t bound = 1;
  while (bucket < kBuckets - 1 && n > bound) {
    bound *= 2;
    ++bucket;
  }
  return bucket;
}

// The writer's RESTART checkpoint waits this long for readers, at most.
constexpr int kRestartWaitMs = 20;

// Full disk: with the reserve released, Write() stays refused until the
// filesystem has room for the reserve and this much (or the reserve) again.
constexpr int64_t kMinRoomBytes = 1 << 20;

Status StorageFull() { return ResourceExhausted("storage is full", Reason::kStorageFull); }

}  // namespace

struct Store::Pending {
  Fn fn;
  bool essential = false;
  Durability durability = Durability::kDurable;
  std::promise<Status> done;
};

int Store::LatestSchemaVersion() {
  int latest = 0;
  for (const auto& m : Migrations()) latest = std::max(latest, MigrationVersion(m));
  return latest;
}

StatusOr<int> SchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare("PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<int>(st.ColumnInt(0)) : 0;
}

Status ApplyMigrations(Database& db) {
  Transaction txn(db);
  RETURN_IF_ERROR(txn.begin_status());
  ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  int latest = Store::LatestSchemaVersion();
  if (current > latest) {
    return FailedPrecondition("the database has schema version " + std::to_string(current) +
                                  ", newer than this binary understands (" +
                                  std::to_string(latest) + "); run a newer contact-vault",
                              "schema_too_new");
  }
  if (current == latest) return Status::Ok();
  for (const auto& m : Migrations()) {
    int version = MigrationVersion(m);
    if (version <= current) continue;
    Status st = db.Execute(m.contents);
    if (!st.ok()) {
      return Internal(std::string("migration ") + m.name + " failed: " + st.message(),
                      "migration_failed");
    }
  }
  RETURN_IF_ERROR(db.Execute("PRAGMA user_version = " + std::to_string(latest)));
  return txn.Commit();
}

StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store(options));
  ASSIGN_OR_RETURN(store->writer_, Database::Open(options.path, Database::Mode::kReadWrite));
  RETURN_IF_ERROR(ApplyMigrations(*store->writer_));
  for (int i = 0; i < std::max(1, options.readers); ++i) {
    ASSIGN_OR_RETURN(auto reader, Database::Open(options.path, Database::Mode::kReadOnly));
    store->readers_.push_back(std::move(reader));
  }
  for (auto& reader : store->readers_) {
    RETURN_IF_ERROR(reader->Execute("PRAGMA cache_size = -" +
                                    std::to_string(std::max(64, options.reader_cache_kib))));
  }
  if (options.reserve_bytes > 0 && !store->CreateReserve()) {
    log::Warn("cannot set aside " + std::to_string(options.reserve_bytes) +
              " bytes for a full disk beside " + options.path);
  }
  // The writer commits without waiting for the disk; the syncer makes
  // commits durable (see "Durability" in store.h). SQLite's NORMAL in WAL
  // mode still syncs the WAL before a checkpoint copies it back.
  RETURN_IF_ERROR(
      store->writer_->Execute("PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864; "
                              "PRAGMA cache_size = -" +
                              std::to_string(std::max(64, options.writer_cache_kib))));
  ASSIGN_OR_RETURN(store->checkpointer_, Database::Open(options.path, Database::Mode::kReadWrite));
  // Replaces SQLite's automatic checkpoint (which would run inside a commit).
  sqlite3_wal_hook(store->writer_->raw(), &Store::OnWalCommit, store.get());
  sqlite3_wal_autocheckpoint(store->checkpointer_->raw(), 0);
  store->stats_.batch_size_buckets.assign(kBuckets, 0);
  store->syncer_thread_ = std::thread([s = store.get()] { s->SyncerLoop(); });
  store->checkpointer_thread_ = std::thread([s = store.get()] { s->CheckpointerLoop(); });
  store->writer_thread_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

Store::~Store() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard lock(sync_mu_);
    sync_stopping_ = true;
  }
  sync_cv_.notify_all();
  if (syncer_thread_.joinable()) syncer_thread_.join();
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_thread_.joinable()) checkpointer_thread_.join();
  if (wal_fd_ >= 0) ::close(wal_fd_);  // SQLite holds no lock on the -wal file
}

Status Store::Write(Fn fn, Durability durability) {
  return Enqueue(std::move(fn), /*essential=*/false, durability);
}

Status Store::WriteEssential(Fn fn, Durability durability) {
  return Enqueue(std::move(fn), /*essential=*/true, durability);
}

Status Store::Enqueue(Fn fn, bool essential, Durability durability) {
  if (failed_) {
    return Unavailable("storage failed (an fsync did not succeed); restart the server",
                       "storage_unavailable");
  }
  Pending pending{std::move(fn), essential, durability, {}};
  std::future<Status> result = pending.done.get_future();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return Unavailable("the store is shutting down", "shutting_down");
    queue_.push_back(&pending);
  }
  queue_cv_.notify_one();
  return result.get();
}

void Store::FailStorage(const Status& why) {
  if (!failed_.exchange(true)) {
    log::Error("storage failed: " + why.message() +
               "; every change is refused until the server restarts (recovery reads the WAL)");
  }
}

Status Store::SyncWal() {
  const std::string wal = options_.path + "-wal";
  if (wal_fd_ >= 0) {
    // The same file as when opened? (SQLite keeps it while a connection is
    // open; this guards against it being replaced all the same.)
    struct stat by_path {
    }, by_fd{};
    if (::stat(wal.c_str(), &by_path) != 0 || ::fstat(wal_fd_, &by_fd) != 0 ||
        by_path.st_ino != by_fd.st_ino || by_path.st_dev != by_fd.st_dev) {
      ::close(wal_fd_);
      wal_fd_ = -1;
    }
  }
  if (wal_fd_ < 0) wal_fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (wal_fd_ < 0) {
    return Unavailable("cannot open the write-ahead log to sync it", "storage_unavailable");
  }
  if (::fdatasync(wal_fd_) != 0) {
    return Unavailable("fsync of the write-ahead log failed", "storage_unavailable");
  }
  std::lock_guard lock(stats_mu_);
  ++stats_.syncs;
  return Status::Ok();
}

void Store::SyncerLoop() {
  for (;;) {
    std::vector<Pending*> waiters;
    uint64_t target = 0;
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return sync_stopping_ || committed_ > synced_; });
      if (committed_ == synced_) return;  // stopping, nothing left to sync
      // Only kWritten commits so far (lookups): nobody waits, so sync them
      // a little later, together, unless a durable write comes first.
      sync_cv_.wait_for(lock, std::chrono::milliseconds(options_.written_sync_delay_ms),
                        [&] { return sync_stopping_ || !sync_waiters_.empty(); });
      target = committed_;
      waiters.swap(sync_waiters_);
    }
    Status st = failed_ ? Unavailable("storage failed", "storage_unavailable") : SyncWal();
    if (!st.ok()) FailStorage(st);
    {
      std::lock_guard lock(sync_mu_);
      synced_ = target;
    }
    for (Pending* w : waiters) w->done.set_value(st);
  }
}

int Store::OnWalCommit(void* arg, sqlite3*, const char*, int pages) {
  auto* self = static_cast<Store*>(arg);
  bool start = false;
  {
    std::lock_guard lock(self->checkpoint_mu_);
    // `pages` counts every frame since the WAL last restarted from its
    // beginning, checkpointed or not: start one per checkpoint_pages of growth.
    if (pages < self->checkpointed_pages_) self->checkpointed_pages_ = 0;  // restarted
    self->wal_pages_ = pages;
    start = pages - self->checkpointed_pages_ >= self->options_.checkpoint_pages;
  }
  if (start) self->checkpoint_cv_.notify_one();
  return SQLITE_OK;
}

void Store::CheckpointerLoop() {
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [&] {
        return checkpoint_stopping_ ||
               wal_pages_ - checkpointed_pages_ >= options_.checkpoint_pages;
      });
      if (checkpoint_stopping_) return;
      checkpointed_pages_ = wal_pages_;
    }
    // PASSIVE: copies what no reader still needs, never waits for the
    // writer or readers. Errors (busy, a full disk) leave the WAL as it is
    // for the next try; the writer checkpoints by itself when full.
    std::lock_guard use(checkpointer_use_mu_);
    int rc = sqlite3_wal_checkpoint_v2(checkpointer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                       nullptr, nullptr);
    if (rc == SQLITE_OK) {
      // Under load a passive checkpoint never completes, and SQLite syncs
      // the database file only after a complete one: sync what this one
      // copied now, on this thread, so the writer's RESTART checkpoint
      // (RunBatch) has little left to flush.
      sqlite3_file* file = nullptr;
      if (sqlite3_file_control(checkpointer_->raw(), "main", SQLITE_FCNTL_FILE_POINTER, &file) ==
              SQLITE_OK &&
          file != nullptr && file->pMethods != nullptr) {
        file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
      }
      std::lock_guard lock(stats_mu_);
      ++stats_.checkpoints;
    }
  }
}

void Store::WriterLoop() {
  std::vector<Pending*> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      size_t max_batch = options_.group_commit ? static_cast<size_t>(options_.max_batch) : 1;
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

bool Store::CreateReserve() {
  std::string path = options_.path + "-reserve";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  bool ok = ::posix_fallocate(fd, 0, static_cast<off_t>(options_.reserve_bytes)) == 0;
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) ::unlink(path.c_str());  // a partial reserve would only hide the full disk
  return ok;
}

void Store::EnterFull() {
  full_ = true;
  if (options_.reserve_bytes > 0) ::unlink((options_.path + "-reserve").c_str());
  log::Error(
      "storage is full: changes are refused (507) until there is room again; "
      "reads and their audit entries go on in the reserved space");
}

bool Store::RoomAgain() {
  std::string dir = options_.path.substr(0, options_.path.find_last_of('/') + 1);
  struct statvfs fs {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return false;
  int64_t free_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
  if (free_bytes < options_.reserve_bytes + std::max(options_.reserve_bytes, kMinRoomBytes)) {
    return false;
  }
  if (options_.reserve_bytes > 0 && !CreateReserve()) return false;
  full_ = false;
  log::Info("storage has room again: changes are accepted");
  return true;
}

void Store::RunBatch(std::vector<Pending*>& batch) {
  std::vector<Status> results(batch.size());
  Status commit_status;
  bool full = full_ && !RoomAgain();
  bool any_essential_ok = false;
  {
    Transaction txn(*writer_);
    commit_status = txn.begin_status();
    if (commit_status.ok()) {
      bool any_ok = false;
      for (size_t i = 0; i < batch.size(); ++i) {
        if (full && !batch[i]->essential) {
          results[i] = StorageFull();
          continue;
        }
        Status sp = writer_->Execute("SAVEPOINT w");
        if (!sp.ok()) {
          results[i] = sp;
          continue;
        }
        results[i] = batch[i]->fn(*writer_);
        if (sqlite3_get_autocommit(writer_->raw()) != 0) {
          // SQLite rolled back the whole transaction (disk full, I/O error):
          // every change of this batch is gone. Fail them all, and run no
          // more functions: outside a transaction each would commit alone.
          commit_status = results[i].ok() ? Unavailable("the write transaction was rolled back",
                                                        "storage_unavailable")
                                          : results[i];
          break;
        }
        if (results[i].ok()) {
          sp = writer_->Execute("RELEASE w");
          if (!sp.ok()) results[i] = sp;
          any_ok = any_ok || sp.ok();
          any_essential_ok = any_essential_ok || (sp.ok() && batch[i]->essential);
        } else {
          writer_->Execute("ROLLBACK TO w").IgnoreError();
          writer_->Execute("RELEASE w").IgnoreError();
        }
      }
      if (commit_status.ok()) commit_status = txn.Commit();
      (void)any_ok;
    }
  }
  bool hit_full = IsStorageFull(commit_status);
  for (const Status& r : results) hit_full = hit_full || (IsStorageFull(r) && !full);
  if (hit_full && !full_) {
    EnterFull();
  } else if (full && commit_status.ok() && any_essential_ok) {
    // Copy the WAL into the database now, so the next transaction restarts
    // the WAL from its beginning instead of growing it.
    sqlite3_wal_checkpoint_v2(writer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.commits;
    stats_.writes += batch.size();
    if (!commit_status.ok()) ++stats_.failed_commits;
    ++stats_.batch_size_buckets[BucketFor(batch.size())];
  }
  // Wake who can go now; the commit's durable writes wait for the fsync.
  std::vector<Pending*> durable;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (commit_status.ok() && results[i].ok() && batch[i]->durability == Durability::kDurable) {
      durable.push_back(batch[i]);
    } else {
      batch[i]->done.set_value(commit_status.ok() ? results[i] : commit_status);
    }
  }
  if (!commit_status.ok()) return;
  // Bounds the WAL (see "Checkpoints" in store.h); runs after the durable
  // writes went to the syncer, so they do not wait for it.
  auto restart_if_large = [&] {
    int pages = 0;
    {
      std::lock_guard lock(checkpoint_mu_);
      pages = wal_pages_;
    }
    if (pages < std::max(options_.restart_pages, restart_retry_pages_)) return;
    // Waits at most kRestartWaitMs for readers of older snapshots: a long
    // read (an online backup, an export) must not stall every write. Busy
    // is fine: it is tried again once the WAL has grown a little more.
    sqlite3_busy_timeout(writer_->raw(), kRestartWaitMs);
    int rc = sqlite3_wal_checkpoint_v2(writer_->raw(), nullptr, SQLITE_CHECKPOINT_RESTART, nullptr,
                                       nullptr);
    sqlite3_busy_timeout(writer_->raw(), Database::kBusyTimeoutMs);
    if (rc == SQLITE_OK) {
      restart_retry_pages_ = 0;
      std::lock_guard lock(checkpoint_mu_);
      wal_pages_ = 0;
      checkpointed_pages_ = 0;
    } else {
      restart_retry_pages_ = pages + std::max(1, options_.restart_pages / 8);
    }
  };
  if (!options_.group_commit) {
    Status st = SyncWal();
    if (!st.ok()) FailStorage(st);
    for (Pending* p : durable) p->done.set_value(st);
    restart_if_large();
    return;
  }
  {
    std::lock_guard lock(sync_mu_);
    ++committed_;
    sync_waiters_.insert(sync_waiters_.end(), durable.begin(), durable.end());
  }
  sync_cv_.notify_one();
  restart_if_large();
}

Status Store::Read(const Fn& fn) {
  std::unique_ptr<Database> db;
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !readers_.empty(); });
    db = std::move(readers_.back());
    readers_.pop_back();
  }
  Status st;
  {
    Transaction txn(*db, Transaction::Kind::kDeferred);
    st = txn.begin_status();
    if (st.ok()) st = fn(*db);
    if (st.ok()) st = txn.Commit();
  }
  {
    std::lock_guard lock(pool_mu_);
    readers_.push_back(std::move(db));
  }
  pool_cv_.notify_one();
  return st;
}

Status Store::Backup(const std::string& dest) {
  return Read([&](Database& src) { return CopyDatabase(src, dest); });
}

Status Store::TruncateWal() {
  std::lock_guard lock(checkpointer_use_mu_);
  return store::TruncateWal(*checkpointer_);
}

StoreStats Store::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace vault::store
