// Store: the vault's SQLite file. One writer connection fed by a group-commit
// queue, and a pool of reader connections (WAL lets them read while the
// writer writes).
//
// Group commit: Write() enqueues a function; the writer thread takes every
// function waiting (up to max_batch), runs each inside its own SAVEPOINT of one
// transaction, commits once, then wakes each caller with its own result. A
// function that fails has only its own changes rolled back; if the commit
// itself fails, every caller in the batch gets the error. So a change and its
// audit entry, written by one function, are durable together or not at all.
//
// Durability, pipelined: the writer commits into the WAL (written to the OS,
// so a commit survives a killed process) without waiting for the disk, and
// goes on with the next batch; a syncer thread fdatasyncs the WAL over and
// over, and each fsync makes every commit written before it survive a power
// cut too. Write(fn) (Durability::kDurable) returns only after the fsync that
// covers its commit, so an acknowledged change survives kill -9 and power
// loss, as SQLite's synchronous=FULL would give, while one fsync serves every
// commit made during the one before it. Durability::kWritten returns as soon
// as the commit is written: for the audit entries of lookups, which change
// nothing and reveal nothing; the syncer makes them durable within
// written_sync_delay_ms (10 ms) plus one fsync, sooner when a durable write
// comes along, and WAL recovery after a power cut keeps a prefix of commits,
// so the audit chain stays intact. If an fsync fails, the store fails closed:
// the callers waiting on it and every later Write get
// Unavailable("storage_unavailable") until the process restarts.
//
// Checkpoints run on a thread of their own (a third connection), not inside
// a commit, once the WAL passes options.checkpoint_pages; they copy pages
// while the writer goes on. Once the WAL holds options.restart_pages, the
// writer itself runs a RESTART checkpoint between two batches (copying only
// what is left and waiting for readers of older snapshots, milliseconds), so
// the WAL starts again from its beginning and stays bounded (truncated to
// 64 MiB when it does).
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
  std::string path;     // the database file; its directory must exist
  int readers = 4;      // reader connections in the pool
  int max_batch = 512;  // most functions one group commit takes
  // false: one function per transaction, and the writer waits for that
  // transaction's fsync before it takes the next (what durability costs
  // without group commit; for measuring it, never for serving).
  bool group_commit = true;
  int64_t reserve_bytes = 0;    // space set aside for a full disk; 0: none
  int checkpoint_pages = 1000;  // WAL pages that start a background checkpoint
  // WAL pages after which the writer runs a RESTART checkpoint itself: under
  // steady load a passive checkpoint never finds the WAL idle, so it never
  // starts again from its beginning and would grow without bound.
  int restart_pages = 16000;
  // Longest a kWritten commit waits for its fsync when no durable write
  // comes along to take it there sooner.
  int written_sync_delay_ms = 10;
  int writer_cache_kib = 16384;  // the writer's page cache
  int reader_cache_kib = 2048;   // each reader's page cache (SQLite's default)
};

// When Write() returns (see "Durability" above).
enum class Durability {
  kDurable,  // on disk: survives a killed process and a power cut
  kWritten,  // written to the OS: survives a killed process; on disk one fsync later
};

struct StoreStats {
  uint64_t commits = 0;  // group commits (transactions)
  uint64_t syncs = 0;    // fdatasyncs of the WAL
  uint64_t writes = 0;   // functions run
  uint64_t failed_commits = 0;
  uint64_t checkpoints = 0;  // background checkpoints run
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

  // Runs `fn` in the writer's transaction and blocks until its commit is
  // as durable as asked. Returns fn's error (its changes undone) or the
  // commit's (or the fsync's); ResourceExhausted("storage_full") without
  // running it while full.
  Status Write(Fn fn, Durability durability = Durability::kDurable);
  // As Write, but runs while full too (see "Full disk" above): only for
  // small writes that reads need (audit entries, session upkeep).
  Status WriteEssential(Fn fn, Durability durability = Durability::kDurable);
  // True while the store refuses Write() for lack of space.
  bool full() const { return full_.load(); }
  // True once an fsync failed: every Write is refused until a restart.
  bool failed() const { return failed_.load(); }

  // Runs `fn` on a pooled reader connection, inside a read transaction so it
  // sees one snapshot.
  Status Read(const Fn& fn);

  // Copies the live database, as one snapshot, to `dest` (CopyDatabase).
  Status Backup(const std::string& dest);

  // Checkpoints the WAL into the main file and truncates it to zero bytes
  // (store::TruncateWal) on the checkpoint connection, so no page of an
  // erased record survives in it. Waits for readers up to the busy timeout;
  // Unavailable("wal_busy") if one kept it from completing.
  Status TruncateWal();

  StoreStats Stats() const;
  const std::string& path() const { return options_.path; }

  // The schema version this binary migrates to.
  static int LatestSchemaVersion();

 private:
  struct Pending;
  explicit Store(StoreOptions options) : options_(std::move(options)) {}
  Status Enqueue(Fn fn, bool essential, Durability durability);
  void WriterLoop();
  void RunBatch(std::vector<Pending*>& batch);
  // Durability (see above): the syncer thread, and the fsync itself.
  void SyncerLoop();
  Status SyncWal();
  void FailStorage(const Status& why);
  // Background checkpoints.
  void CheckpointerLoop();
  static int OnWalCommit(void* store, sqlite3* db, const char* name, int pages);
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

  std::atomic<bool> full_{false};    // written by the writer thread only
  std::atomic<bool> failed_{false};  // an fsync failed
  int restart_retry_pages_ = 0;      // writer thread only: after a busy RESTART, when to retry

  // Commits waiting for an fsync. committed_ counts commits that wrote to
  // the WAL; synced_ the ones an fsync has covered.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<Pending*> sync_waiters_;  // GUARDED_BY(sync_mu_)
  uint64_t committed_ = 0;              // GUARDED_BY(sync_mu_)
  uint64_t synced_ = 0;                 // GUARDED_BY(sync_mu_)
  bool sync_stopping_ = false;          // GUARDED_BY(sync_mu_)
  std::thread syncer_thread_;
  int wal_fd_ = -1;  // used by the thread that syncs (syncer, or writer without group commit)

  // Used by checkpointer_thread_ and TruncateWal, one at a time.
  std::mutex checkpointer_use_mu_;
  std::unique_ptr<Database> checkpointer_;  // GUARDED_BY(checkpointer_use_mu_)
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  int wal_pages_ = 0;                 // GUARDED_BY(checkpoint_mu_) after the last commit
  int checkpointed_pages_ = 0;        // GUARDED_BY(checkpoint_mu_) when the last one ran
  bool checkpoint_stopping_ = false;  // GUARDED_BY(checkpoint_mu_)
  std::thread checkpointer_thread_;

  mutable std::mutex stats_mu_;
  StoreStats stats_;  // GUARDED_BY(stats_mu_)
};

// Applies pending migrations to `db` in one transaction. Exposed for tests.
Status ApplyMigrations(Database& db);
// The schema version recorded in `db` (0 for a new file).
StatusOr<int> SchemaVersion(Database& db);

}  // namespace vault::store
