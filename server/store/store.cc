#include "store/store.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <string>

#include "common/embedded_resources.h"
#include "common/log.h"

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

// Full disk: with the reserve released, Write() stays refused until the
// filesystem has room for the reserve and this much (or the reserve) again.
constexpr int64_t kMinRoomBytes = 1 << 20;

Status StorageFull() { return ResourceExhausted("storage is full", "storage_full"); }

bool IsStorageFull(const Status& st) { return st.reason() == "storage_full"; }

}  // namespace

struct Store::Pending {
  Fn fn;
  bool essential = false;
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
    return FailedPrecondition(
        "the database has schema version " + std::to_string(current) +
            ", newer than this binary understands (" + std::to_string(latest) +
            "); run a newer contact-vault",
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
  ASSIGN_OR_RETURN(store->writer_,
                   Database::Open(options.path, Database::Mode::kReadWrite));
  RETURN_IF_ERROR(ApplyMigrations(*store->writer_));
  for (int i = 0; i < std::max(1, options.readers); ++i) {
    ASSIGN_OR_RETURN(auto reader, Database::Open(options.path, Database::Mode::kReadOnly));
    store->readers_.push_back(std::move(reader));
  }
  if (options.reserve_bytes > 0 && !store->CreateReserve()) {
    log::Warn("cannot set aside " + std::to_string(options.reserve_bytes) +
              " bytes for a full disk beside " + options.path);
  }
  store->stats_.batch_size_buckets.assign(kBuckets, 0);
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
}

Status Store::Write(Fn fn) { return Enqueue(std::move(fn), /*essential=*/false); }

Status Store::WriteEssential(Fn fn) { return Enqueue(std::move(fn), /*essential=*/true); }

Status Store::Enqueue(Fn fn, bool essential) {
  Pending pending{std::move(fn), essential, {}};
  std::future<Status> result = pending.done.get_future();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return Unavailable("the store is shutting down", "shutting_down");
    queue_.push_back(&pending);
  }
  queue_cv_.notify_one();
  return result.get();
}

void Store::WriterLoop() {
  std::vector<Pending*> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.max_batch)) {
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
  log::Error("storage is full: changes are refused (507) until there is room again; "
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
          commit_status = results[i].ok()
                              ? Unavailable("the write transaction was rolled back",
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
    sqlite3_wal_checkpoint_v2(writer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
  }
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.commits;
    stats_.writes += batch.size();
    if (!commit_status.ok()) ++stats_.failed_commits;
    ++stats_.batch_size_buckets[BucketFor(batch.size())];
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i]->done.set_value(commit_status.ok() ? results[i] : commit_status);
  }
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
  return Read([&](Database& src) -> Status {
    ASSIGN_OR_RETURN(auto out, Database::Open(dest, Database::Mode::kReadWrite));
    sqlite3_backup* backup = sqlite3_backup_init(out->raw(), "main", src.raw(), "main");
    if (backup == nullptr) return SqliteStatus(sqlite3_errcode(out->raw()), out->raw(), "backup");
    int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) return SqliteStatus(rc, out->raw(), "backup");
    return Status::Ok();
  });
}

StoreStats Store::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace vault::store
