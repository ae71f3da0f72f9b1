// Store: the vault's SQLite file. One writer connection fed by a group-commit
// queue, and a pool of reader connections (WAL lets them read while the
// writer writes).
//
// Group commit: Write() enqueues a function; the writer thread takes every
// function waiting (up to max_batch), runs each inside its own SAVEPOINT of one
// transaction, commits once (one fsync for the batch), then wakes each caller
// with its own result. A function that fails has only its own changes rolled
// back; if the commit itself fails, every caller in the batch gets the error.
// So a change and its audit entry, written by one function, are durable
// together or not at all, and Write() returns only once they are durable.
//
// Full disk: the store keeps a reserve file of options.reserve_bytes beside
// the database ("<path>-reserve"). When a write fails for lack of space the
// store turns full: it deletes the reserve, refuses every Write() with
// ResourceExhausted("storage_full") without running it, and still runs
// WriteEssential(): the audit entries of reads and sign-ins, and session
// upkeep, small writes that keep the vault readable while every access is
// audited (fail closed). After each of those it checkpoints, so the WAL is
// reused rather than grown. Once the filesystem has room for the reserve and
// as much again, the reserve is recreated and Write() works again.
//
// Thread-safe. Not copyable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "store/sqlite.h"

namespace vault::store {

struct StoreOptions {
  std::string path;      // the database file; its directory must exist
  int readers = 4;       // reader connections in the pool
  int max_batch = 512;   // most functions one group commit takes
  int64_t reserve_bytes = 0;  // space set aside for a full disk; 0: none
};

struct StoreStats {
  uint64_t commits = 0;         // group commits (fsyncs)
  uint64_t writes = 0;          // functions run
  uint64_t failed_commits = 0;
  // Histogram of batch sizes: counts for <=1, <=2, <=4, ... <=512, +Inf.
  std::vector<uint64_t> batch_size_buckets;
};

class Store {
 public:
  using Fn = std::function<Status(Database&)>;

  // Opens or creates the file (0600), applies the migrations embedded from
  // schema/ in one transaction, and starts the writer. FailedPrecondition
  // if the file's schema is newer than this binary knows.
  static StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `fn` in the writer's transaction and blocks until it is durable.
  // Returns fn's error (its changes undone) or the commit's;
  // ResourceExhausted("storage_full") without running it while full.
  Status Write(Fn fn);
  // As Write, but runs while full too (see "Full disk" above): only for
  // small writes that reads need (audit entries, session upkeep).
  Status WriteEssential(Fn fn);
  // True while the store refuses Write() for lack of space.
  bool full() const { return full_.load(); }

  // Runs `fn` on a pooled reader connection, inside a read transaction so it
  // sees one snapshot.
  Status Read(const Fn& fn);

  // Copies the live database to `dest` through the SQLite backup API.
  Status Backup(const std::string& dest);

  StoreStats Stats() const;
  const std::string& path() const { return options_.path; }

  // The schema version this binary migrates to.
  static int LatestSchemaVersion();

 private:
  struct Pending;
  explicit Store(StoreOptions options) : options_(std::move(options)) {}
  Status Enqueue(Fn fn, bool essential);
  void WriterLoop();
  void RunBatch(std::vector<Pending*>& batch);
  // Full-disk mode (writer thread only).
  void EnterFull();
  bool RoomAgain();
  bool CreateReserve();

  StoreOptions options_;
  std::unique_ptr<Database> writer_;  // used only by writer_thread_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending*> queue_;  // GUARDED_BY(queue_mu_)
  bool stopping_ = false;       // GUARDED_BY(queue_mu_)
  std::thread writer_thread_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Database>> readers_;  // GUARDED_BY(pool_mu_)

  std::atomic<bool> full_{false};  // written by the writer thread only

  mutable std::mutex stats_mu_;
  StoreStats stats_;  // GUARDED_BY(stats_mu_)
};

// Applies pending migrations to `db` in one transaction. Exposed for tests.
Status ApplyMigrations(Database& db);
// The schema version recorded in `db` (0 for a new file).
StatusOr<int> SchemaVersion(Database& db);

}  // namespace vault::store
