#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/vault_tables.h"
#include "support/test_vault.h"

namespace vault::store {
namespace {

using ::testing::HasSubstr;
using vault::testing::TempDir;

constexpr char kTablesSql[] =
    "SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') ORDER BY name";

std::unique_ptr<Store> OpenStore(const std::string& path, int max_batch = 512) {
  StoreOptions options;
  options.path = path;
  options.max_batch = max_batch;
  auto store = Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::unique_ptr<Database> OpenDb(const std::string& path,
                                 Database::Mode mode = Database::Mode::kReadWrite) {
  auto db = Database::Open(path, mode);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::vector<std::string> SchemaObjects(Database& db) {
  std::vector<std::string> names;
  auto st = db.Prepare(kTablesSql);
  EXPECT_TRUE(st.ok());
  for (;;) {
    auto more = st->Step();
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    names.push_back(st->ColumnText(0));
  }
  return names;
}

std::optional<std::string> ReadMeta(Store& store, const std::string& key) {
  std::optional<std::string> value;
  Status st = store.Read([&](Database& db) -> Status {
    ASSIGN_OR_RETURN(value, GetMeta(db, key));
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return value;
}

int64_t CountMeta(Database& db) {
  auto st = db.Prepare("SELECT COUNT(*) FROM meta");
  EXPECT_TRUE(st.ok());
  auto row = st->Step();
  EXPECT_TRUE(row.ok() && *row);
  return st->ColumnInt(0);
}

// --- Migrations ---

TEST(StoreTest, MigrationsCreateTheCoreTables) {
  TempDir dir;
  auto db = OpenDb(dir.path() + "/m.db");
  ASSERT_NE(db, nullptr);
  auto before = SchemaVersion(*db);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 0);
  ASSERT_TRUE(ApplyMigrations(*db).ok());
  auto after = SchemaVersion(*db);
  ASSERT_TRUE(after.ok());
  EXPECT_GE(Store::LatestSchemaVersion(), 1);
  EXPECT_EQ(*after, Store::LatestSchemaVersion());
  auto objects = SchemaObjects(*db);
  for (const char* name : {"meta", "keyring", "customers", "customers_by_email"}) {
    EXPECT_THAT(objects, ::testing::Contains(name));
  }
}

TEST(StoreTest, MigrationsRunTwiceAreANoOp) {
  TempDir dir;
  std::string path = dir.path() + "/twice.db";
  auto db = OpenDb(path);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(ApplyMigrations(*db).ok());
  ASSERT_TRUE(SetMeta(*db, "survivor", "still here").ok());
  auto objects = SchemaObjects(*db);

  Status again = ApplyMigrations(*db);
  ASSERT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(*SchemaVersion(*db), Store::LatestSchemaVersion());
  EXPECT_EQ(SchemaObjects(*db), objects);
  auto value = GetMeta(*db, "survivor");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->value_or(""), "still here");
  // No transaction was left open by the no-op path.
  EXPECT_NE(sqlite3_get_autocommit(db->raw()), 0);
  db.reset();

  // And through Store::Open, twice in a row.
  for (int i = 0; i < 2; ++i) {
    auto store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(ReadMeta(*store, "survivor").value_or(""), "still here");
  }
  auto check = OpenDb(path);
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(*SchemaVersion(*check), Store::LatestSchemaVersion());
  EXPECT_EQ(SchemaObjects(*check), objects);
  EXPECT_EQ(CountMeta(*check), 1);
}

TEST(StoreTest, SchemaNewerThanBinaryIsRefused) {
  TempDir dir;
  std::string path = dir.path() + "/future.db";
  int future = Store::LatestSchemaVersion() + 1;
  {
    auto db = OpenDb(path);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(ApplyMigrations(*db).ok());
    ASSERT_TRUE(db->Execute("PRAGMA user_version = " + std::to_string(future)).ok());
  }
  {
    auto db = OpenDb(path);
    ASSERT_NE(db, nullptr);
    Status st = ApplyMigrations(*db);
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
    EXPECT_EQ(st.reason(), "schema_too_new");
    EXPECT_THAT(st.message(), HasSubstr("newer"));
  }
  StoreOptions options;
  options.path = path;
  auto store = Store::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.status().reason(), "schema_too_new");
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
  // Refusing leaves the file's version alone.
  auto db = OpenDb(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(*SchemaVersion(*db), future);
}

// --- Writes and reads ---

TEST(StoreTest, ReadSeesCommittedData) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/rw.db");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadMeta(*store, "k"), std::nullopt);
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "k", "v1"); }).ok());
  EXPECT_EQ(ReadMeta(*store, "k").value_or(""), "v1");
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "k", "v2"); }).ok());
  EXPECT_EQ(ReadMeta(*store, "k").value_or(""), "v2");
}

TEST(StoreTest, ReadDoesNotSeeAWriteBeforeItCommits) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/iso.db");
  ASSERT_NE(store, nullptr);
  std::optional<std::string> seen_inside = "unset";
  Status st = store->Write([&](Database& db) -> Status {
    RETURN_IF_ERROR(SetMeta(db, "pending", "x"));
    // A reader connection while the writer's transaction is still open.
    return store->Read([&](Database& reader) -> Status {
      ASSIGN_OR_RETURN(seen_inside, GetMeta(reader, "pending"));
      return Status::Ok();
    });
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(seen_inside, std::nullopt);
  EXPECT_EQ(ReadMeta(*store, "pending").value_or(""), "x");
}

TEST(StoreTest, FailedWriteIsRolledBack) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/fail.db");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "before", "1"); }).ok());
  Status st = store->Write([](Database& db) -> Status {
    RETURN_IF_ERROR(SetMeta(db, "doomed.a", "1"));
    RETURN_IF_ERROR(SetMeta(db, "before", "overwritten"));
    RETURN_IF_ERROR(SetMeta(db, "doomed.b", "1"));
    return InvalidArgument("changed my mind", "test_failure");
  });
  // The caller gets fn's own error, unchanged.
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.reason(), "test_failure");
  EXPECT_EQ(ReadMeta(*store, "doomed.a"), std::nullopt);
  EXPECT_EQ(ReadMeta(*store, "doomed.b"), std::nullopt);
  EXPECT_EQ(ReadMeta(*store, "before").value_or(""), "1");
  // The writer is still usable.
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "after", "1"); }).ok());
  EXPECT_EQ(ReadMeta(*store, "after").value_or(""), "1");
}

TEST(StoreTest, WriteFailingOnASqlErrorIsRolledBack) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/sqlfail.db");
  ASSERT_NE(store, nullptr);
  Status st = store->Write([](Database& db) -> Status {
    RETURN_IF_ERROR(SetMeta(db, "half", "1"));
    // Violates keyring's CHECK (id > 0).
    return db.Execute(
        "INSERT INTO keyring (id, purpose, state, wrapped, created_at) "
        "VALUES (0, 'data', 'active', x'00', 0)");
  });
  EXPECT_EQ(st.code(), StatusCode::kAborted) << st.ToString();
  EXPECT_EQ(ReadMeta(*store, "half"), std::nullopt);
}

// Many writers at once: every successful write lands, every failed one
// leaves nothing behind even when it shared a batch (one transaction) with
// successful ones, and the writer batches (fewer commits than writes).
TEST(StoreTest, ConcurrentWritesAreGroupCommitted) {
  TempDir dir;
  std::string path = dir.path() + "/group.db";
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr int kWrites = 200;
  constexpr int kFailEvery = 7;

  std::mutex mu;
  // batch number (commits before the fn ran) -> {ok count, failed count}
  std::map<uint64_t, std::pair<int, int>> batches;
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        std::string key = "t" + std::to_string(t) + ".w" + std::to_string(i);
        bool fail = (i % kFailEvery) == 3;
        Status st = store->Write([&](Database& db) -> Status {
          uint64_t batch = store->Stats().commits;
          RETURN_IF_ERROR(SetMeta(db, key, std::to_string(t * kWrites + i)));
          {
            std::lock_guard lock(mu);
            auto& counts = batches[batch];
            (fail ? counts.second : counts.first)++;
          }
          if (fail) return Aborted("test says no", "test_failure");
          return Status::Ok();
        });
        if (st.ok() == fail) unexpected++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected.load(), 0);

  int expected_ok = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWrites; ++i) {
      if ((i % kFailEvery) != 3) ++expected_ok;
    }
  }
  int found = 0, leaked = 0;
  Status st = store->Read([&](Database& db) -> Status {
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kWrites; ++i) {
        std::string key = "t" + std::to_string(t) + ".w" + std::to_string(i);
        ASSIGN_OR_RETURN(auto value, GetMeta(db, key));
        if ((i % kFailEvery) == 3) {
          if (value) ++leaked;
        } else if (value == std::to_string(t * kWrites + i)) {
          ++found;
        }
      }
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(found, expected_ok);
  EXPECT_EQ(leaked, 0);

  StoreStats stats = store->Stats();
  EXPECT_EQ(stats.writes, static_cast<uint64_t>(kThreads * kWrites));
  EXPECT_LT(stats.commits, stats.writes) << "no batching happened";
  EXPECT_EQ(stats.failed_commits, 0u);
  EXPECT_EQ(std::accumulate(stats.batch_size_buckets.begin(), stats.batch_size_buckets.end(),
                            uint64_t{0}),
            stats.commits);
  // Some batch held both a failed and a successful write: the failure was
  // undone inside a transaction that still committed the others.
  bool mixed = false;
  for (const auto& [batch, counts] : batches) {
    if (counts.first > 0 && counts.second > 0) mixed = true;
  }
  EXPECT_TRUE(mixed);

  // Everything is durable: a fresh connection on the file sees it.
  store.reset();
  auto db = OpenDb(path, Database::Mode::kReadOnly);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(CountMeta(*db), expected_ok);
}

// A write that fills the disk makes SQLite roll back the whole transaction,
// not just that write's savepoint. Whatever the batching, a Write that
// reports an error must leave nothing behind and a Write that reports OK
// must be durable: no write may commit on its own after the batch's
// transaction is gone, nor be reported failed when it landed.
TEST(StoreTest, DiskFullInABatchNeverMisreportsOtherWrites) {
  TempDir dir;
  std::string path = dir.path() + "/full.db";
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr int kWrites = 40;
  std::vector<std::vector<Status>> results(kThreads, std::vector<Status>(kWrites));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        std::string key = std::to_string(t) + "." + std::to_string(i);
        bool fill = (i % 10) == 5;
        results[t][i] = store->Write([&](Database& db) -> Status {
          RETURN_IF_ERROR(SetMeta(db, key, "v"));
          if (!fill) return Status::Ok();
          // Cap the file at its current size, then grow it.
          RETURN_IF_ERROR(db.Execute("PRAGMA max_page_count = 1"));
          Status st = db.Execute("INSERT INTO meta (key, value) VALUES ('big." + key +
                                 "', randomblob(200000))");
          db.Execute("PRAGMA max_page_count = 1073741823").IgnoreError();
          return st;
        });
      }
    });
  }
  for (auto& th : threads) th.join();

  int full = 0, inconsistent = 0;
  Status st = store->Read([&](Database& db) -> Status {
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kWrites; ++i) {
        std::string key = std::to_string(t) + "." + std::to_string(i);
        ASSIGN_OR_RETURN(auto value, GetMeta(db, key));
        const Status& result = results[t][i];
        if (result.code() == StatusCode::kResourceExhausted) ++full;
        if (result.ok() != value.has_value()) {
          ++inconsistent;
          ADD_FAILURE() << key << " returned " << result.ToString() << " but is "
                        << (value ? "present" : "absent");
        }
        if ((i % 10) == 5) {
          EXPECT_FALSE(result.ok()) << key;
        }
      }
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(inconsistent, 0);
  EXPECT_GE(full, kThreads * kWrites / 10);
  // The store keeps working afterwards.
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "after", "1"); }).ok());
  EXPECT_EQ(ReadMeta(*store, "after").value_or(""), "1");
}

TEST(StoreTest, SingleWritesAreOneCommitEach) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/single.db");
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        store->Write([&](Database& db) { return SetMeta(db, std::to_string(i), "v"); }).ok());
  }
  StoreStats stats = store->Stats();
  EXPECT_EQ(stats.commits, 3u);
  EXPECT_EQ(stats.writes, 3u);
  ASSERT_FALSE(stats.batch_size_buckets.empty());
  EXPECT_EQ(stats.batch_size_buckets[0], 3u);  // three batches of size 1
}

TEST(StoreTest, MaxBatchBoundsABatch) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/bounded.db", /*max_batch=*/2);
  ASSERT_NE(store, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string key = std::to_string(t) + "." + std::to_string(i);
        EXPECT_TRUE(store->Write([&](Database& db) { return SetMeta(db, key, "v"); }).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  StoreStats stats = store->Stats();
  EXPECT_EQ(stats.writes, 200u);
  EXPECT_GE(stats.commits, 100u);
  // Only the <=1 and <=2 buckets are used.
  for (size_t b = 2; b < stats.batch_size_buckets.size(); ++b) {
    EXPECT_EQ(stats.batch_size_buckets[b], 0u) << "bucket " << b;
  }
}

// --- Durability (pipelined fsync) ---

// A durable write returns only after an fsync that followed its commit; a
// kWritten write is committed (readers see it) when it returns, and an fsync
// follows soon after without anyone waiting for it.
TEST(StoreTest, DurableWritesWaitForAnFsyncWrittenOnesDoNot) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/sync.db");
  ASSERT_NE(store, nullptr);
  uint64_t syncs = store->Stats().syncs;
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "d", "1"); }).ok());
  EXPECT_GT(store->Stats().syncs, syncs) << "a durable write returned before any fsync";

  ASSERT_TRUE(
      store->Write([](Database& db) { return SetMeta(db, "w", "1"); }, Durability::kWritten).ok());
  EXPECT_EQ(ReadMeta(*store, "w"), "1");  // committed: a reader sees it
  uint64_t after_written = store->Stats().syncs;
  for (int i = 0; i < 200 && store->Stats().syncs == after_written; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(store->Stats().syncs, after_written) << "no fsync followed a kWritten commit";
}

// Without group commit every write is its own transaction and its own fsync,
// even when many arrive at once (what `make bench` compares against).
TEST(StoreTest, WithoutGroupCommitEachWriteHasItsOwnCommitAndFsync) {
  TempDir dir;
  StoreOptions options;
  options.path = dir.path() + "/nogc.db";
  options.group_commit = false;
  auto opened = Store::Open(options);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  StoreStats before = store.Stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string key = std::to_string(t) + "." + std::to_string(i);
        EXPECT_TRUE(store.Write([&](Database& db) { return SetMeta(db, key, "v"); }).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  StoreStats after = store.Stats();
  EXPECT_EQ(after.writes - before.writes, 40u);
  EXPECT_EQ(after.commits - before.commits, 40u);
  EXPECT_EQ(after.syncs - before.syncs, 40u);
}

// Concurrent durable writes share fsyncs: fewer fsyncs than writes, and
// every write acknowledged is there.
TEST(StoreTest, ConcurrentDurableWritesShareFsyncs) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/shared.db");
  ASSERT_NE(store, nullptr);
  StoreStats before = store->Stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string key = std::to_string(t) + "." + std::to_string(i);
        EXPECT_TRUE(store->Write([&](Database& db) { return SetMeta(db, key, "v"); }).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  StoreStats after = store->Stats();
  EXPECT_EQ(after.writes - before.writes, 320u);
  EXPECT_LT(after.syncs - before.syncs, 320u);
  for (int t = 0; t < 16; ++t) {
    EXPECT_EQ(ReadMeta(*store, std::to_string(t) + ".19"), "v");
  }
}

// When the WAL cannot be synced (here: it vanished from under the store),
// the write waiting on the fsync fails, and the store fails closed: every
// later write is refused with storage_unavailable; reads still work.
TEST(StoreTest, AFailedFsyncFailsTheStoreClosed) {
  TempDir dir;
  std::string path = dir.path() + "/failing.db";
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "before", "1"); }).ok());
  ASSERT_EQ(::unlink((path + "-wal").c_str()), 0);
  Status st = store->Write([](Database& db) { return SetMeta(db, "after", "1"); });
  EXPECT_EQ(st.reason(), "storage_unavailable") << st.ToString();
  EXPECT_TRUE(store->failed());
  Status later =
      store->Write([](Database& db) { return SetMeta(db, "later", "1"); }, Durability::kWritten);
  EXPECT_EQ(later.reason(), "storage_unavailable") << later.ToString();
  EXPECT_EQ(ReadMeta(*store, "before"), "1");
  EXPECT_EQ(ReadMeta(*store, "later"), std::nullopt);  // never ran
}

// Under steady writes with readers always busy, a passive checkpoint never
// finds the WAL idle; the writer's RESTART checkpoint keeps the WAL from
// growing without bound (the soak of `make bench` found 25 GB in 4 minutes).
TEST(StoreTest, TheWalStaysBoundedUnderSteadyWritesAndReads) {
  TempDir dir;
  StoreOptions options;
  options.path = dir.path() + "/bounded-wal.db";
  options.checkpoint_pages = 50;
  options.restart_pages = 400;  // 1.6 MiB of 4 KiB pages
  auto opened = Store::Open(options);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        EXPECT_TRUE(store.Read([](Database& db) { return GetMeta(db, "k1").status(); }).ok());
      }
    });
  }
  const std::string value(3000, 'v');  // about a page per write
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 1500; ++i) {
        std::string key = "k" + std::to_string((w * 1500 + i) % 2000);
        EXPECT_TRUE(
            store.Write([&](Database& db) { return SetMeta(db, key, value); }, Durability::kWritten)
                .ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : readers) t.join();
  struct stat wal {};
  ASSERT_EQ(::stat((options.path + "-wal").c_str(), &wal), 0);
  // 6,000 writes of a page or more each: without restarts the WAL would
  // hold well over 24 MB.
  EXPECT_LT(wal.st_size, 12 << 20) << "the WAL kept growing";
  EXPECT_GT(store.Stats().checkpoints, 0u);
}

// A long read (an online backup, an export) holds an old snapshot, so the
// RESTART checkpoint cannot finish: writes must not wait for it.
TEST(StoreTest, ALongReadDoesNotStallWritesPastTheRestartSize) {
  TempDir dir;
  StoreOptions options;
  options.path = dir.path() + "/long-read.db";
  options.checkpoint_pages = 20;
  options.restart_pages = 100;
  auto opened = Store::Open(options);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  ASSERT_TRUE(store.Write([](Database& db) { return SetMeta(db, "seed", "1"); }).ok());
  std::atomic<bool> reading{false};
  std::atomic<bool> writes_done{false};
  std::thread reader([&] {
    EXPECT_TRUE(store
                    .Read([&](Database& db) -> Status {
                      RETURN_IF_ERROR(GetMeta(db, "seed").status());  // takes the snapshot
                      reading = true;
                      // Holds it until every write below is done.
                      auto cap = std::chrono::steady_clock::now() + std::chrono::seconds(60);
                      while (!writes_done && std::chrono::steady_clock::now() < cap) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(5));
                      }
                      return Status::Ok();
                    })
                    .ok());
  });
  while (!reading) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string value(3000, 'v');
  double slowest_ms = 0;
  for (int i = 0; i < 400; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    Status written =
        store.Write([&](Database& db) { return SetMeta(db, "k" + std::to_string(i % 50), value); });
    EXPECT_TRUE(written.ok()) << written.ToString();
    if (!written.ok()) break;
    slowest_ms = std::max(
        slowest_ms,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  writes_done = true;
  reader.join();
  // Stalled, a write would wait for the busy timeout (5 s); a slow fsync on a
  // busy disk is far below half of that.
  EXPECT_LT(slowest_ms, Database::kBusyTimeoutMs / 2) << "a write waited for the long read";
}

// --- Backup ---

TEST(StoreTest, BackupHoldsTheSameRows) {
  TempDir dir;
  auto store = OpenStore(dir.path() + "/live.db");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Write([](Database& db) -> Status {
                    for (int i = 0; i < 100; ++i) {
                      RETURN_IF_ERROR(
                          SetMeta(db, "row" + std::to_string(i), "value" + std::to_string(i)));
                    }
                    return Status::Ok();
                  })
                  .ok());
  std::string dest = dir.path() + "/backup.db";
  Status st = store->Backup(dest);
  ASSERT_TRUE(st.ok()) << st.ToString();
  // A change after the backup is not in it.
  ASSERT_TRUE(store->Write([](Database& db) { return SetMeta(db, "later", "x"); }).ok());

  struct stat info {};
  ASSERT_EQ(::stat(dest.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  auto backup = OpenDb(dest, Database::Mode::kReadOnly);
  ASSERT_NE(backup, nullptr);
  EXPECT_EQ(*SchemaVersion(*backup), Store::LatestSchemaVersion());
  EXPECT_EQ(CountMeta(*backup), 100);
  for (int i = 0; i < 100; ++i) {
    auto value = GetMeta(*backup, "row" + std::to_string(i));
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->value_or(""), "value" + std::to_string(i));
  }
  auto later = GetMeta(*backup, "later");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, std::nullopt);
  // The backup is a sound database, and opens as a store of its own.
  {
    auto check = backup->Prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.ok());
    ASSERT_TRUE(check->Step().ok());
    EXPECT_EQ(check->ColumnText(0), "ok");
  }  // statements end before their connection
  backup.reset();
  auto reopened = OpenStore(dest);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ReadMeta(*reopened, "row42").value_or(""), "value42");
}

}  // namespace
}  // namespace vault::store
