#include "store/sqlite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "support/test_vault.h"

namespace vault::store {
namespace {

using ::testing::HasSubstr;
using vault::testing::TempDir;

constexpr char kCreateSql[] = "CREATE TABLE t (k TEXT PRIMARY KEY NOT NULL, v INTEGER NOT NULL)";
constexpr char kInsertSql[] = "INSERT INTO t (k, v) VALUES (?, ?)";
constexpr char kSelectSql[] = "SELECT v FROM t WHERE k = ?";
constexpr char kAllSql[] = "SELECT k FROM t ORDER BY k";
constexpr char kCountSql[] = "SELECT COUNT(*) FROM t";

// Sets the umask for the lifetime of the object, so permission checks test
// what the code asks for rather than what the umask happens to strip.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
  return st.st_mode & 0777;
}

std::unique_ptr<Database> OpenOrDie(const std::string& path,
                                    Database::Mode mode = Database::Mode::kReadWrite) {
  auto db = Database::Open(path, mode);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::string PragmaText(Database& db, const char* sql) {
  auto st = db.Prepare(sql);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  if (!st.ok()) return "";
  auto row = st->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return st->ColumnText(0);
}

int64_t Count(Database& db) {
  auto st = db.Prepare(kCountSql);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  auto row = st->Step();
  EXPECT_TRUE(row.ok() && *row);
  return st->ColumnInt(0);
}

Status Insert(Database& db, const std::string& k, int64_t v) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertSql));
  return st.BindText(1, k).BindInt(2, v).Run();
}

TEST(SqliteTest, DatabaseFileIsCreated0600) {
  ScopedUmask umask(0);  // the file mode must come from the code, not the umask
  TempDir dir;
  std::string path = dir.path() + "/new.db";
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(ModeOf(path), 0600u);
  ASSERT_TRUE(db->Execute(kCreateSql).ok());
  ASSERT_TRUE(Insert(*db, "a", 1).ok());
  // SQLite gives the WAL the database file's mode.
  EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
}

TEST(SqliteTest, ExistingFileOpenToOthersIsTightenedTo0600) {
  TempDir dir;
  std::string path = dir.path() + "/loose.db";
  { ASSERT_NE(OpenOrDie(path), nullptr); }
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST(SqliteTest, PragmasAreSetOnOpen) {
  TempDir dir;
  std::string path = dir.path() + "/p.db";
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(PragmaText(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(PragmaText(*db, "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(PragmaText(*db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(PragmaText(*db, "PRAGMA secure_delete"), "1");

  // A reader connection keeps the durability and integrity settings too.
  auto reader = OpenOrDie(path, Database::Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(PragmaText(*reader, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(PragmaText(*reader, "PRAGMA synchronous"), "2");
  EXPECT_EQ(PragmaText(*reader, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(PragmaText(*reader, "PRAGMA secure_delete"), "1");
}

TEST(SqliteTest, ForeignKeysAreEnforced) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/fk.db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Execute("CREATE TABLE parent (id INTEGER PRIMARY KEY NOT NULL);"
                          "CREATE TABLE child (p INTEGER NOT NULL REFERENCES parent (id));")
                  .ok());
  Status st = db->Execute("INSERT INTO child (p) VALUES (42)");
  EXPECT_EQ(st.code(), StatusCode::kAborted) << st.ToString();
  EXPECT_EQ(st.reason(), "constraint_violation");
}

TEST(SqliteTest, ReadOnlyModeDoesNotCreateTheFile) {
  TempDir dir;
  std::string path = dir.path() + "/absent.db";
  auto db = Database::Open(path, Database::Mode::kReadOnly);
  EXPECT_FALSE(db.ok());
  EXPECT_EQ(ModeOf(path), static_cast<mode_t>(-1));
}

TEST(SqliteTest, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/txn.db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Execute(kCreateSql).ok());
  {
    Transaction txn(*db);
    ASSERT_TRUE(txn.begin_status().ok()) << txn.begin_status().ToString();
    ASSERT_TRUE(Insert(*db, "dropped", 1).ok());
    EXPECT_EQ(Count(*db), 1);
    // No Commit(): leaving the scope must roll back.
  }
  EXPECT_EQ(Count(*db), 0);
  {
    Transaction txn(*db);
    ASSERT_TRUE(txn.begin_status().ok());
    ASSERT_TRUE(Insert(*db, "kept", 2).ok());
    ASSERT_TRUE(txn.Commit().ok());
  }
  EXPECT_EQ(Count(*db), 1);
  // The committed row is durable across connections.
  db.reset();
  auto again = OpenOrDie(dir.path() + "/txn.db", Database::Mode::kReadOnly);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Count(*again), 1);
}

TEST(SqliteTest, CommitTwiceIsAnError) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/twice.db");
  ASSERT_NE(db, nullptr);
  Transaction txn(*db);
  ASSERT_TRUE(txn.begin_status().ok());
  ASSERT_TRUE(txn.Commit().ok());
  EXPECT_FALSE(txn.Commit().ok());
}

TEST(SqliteTest, ImmediateTransactionExcludesASecondWriter) {
  TempDir dir;
  std::string path = dir.path() + "/lock.db";
  auto a = OpenOrDie(path);
  auto b = OpenOrDie(path);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  sqlite3_busy_timeout(b->raw(), 1);  // fail fast instead of waiting 5 s
  Transaction held(*a);
  ASSERT_TRUE(held.begin_status().ok());
  Transaction blocked(*b);
  EXPECT_EQ(blocked.begin_status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(blocked.begin_status().reason(), "storage_busy");
  EXPECT_FALSE(blocked.Commit().ok());
}

TEST(SqliteTest, StatementsBindAndReadBack) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/bind.db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Execute("CREATE TABLE b (i INTEGER, t TEXT, x BLOB, n BLOB)").ok());
  {
    auto st = db->Prepare("INSERT INTO b (i, t, x, n) VALUES (?, ?, ?, ?)");
    ASSERT_TRUE(st.ok());
    std::string blob("a\0b\xff", 4);
    st->BindInt(1, -(int64_t{1} << 40))
        .BindText(2, "text")
        .BindBlob(3, blob)
        .BindOptionalBlob(4, std::nullopt);
    ASSERT_TRUE(st->Run().ok());
  }
  auto st = db->Prepare("SELECT i, t, x, n FROM b");
  ASSERT_TRUE(st.ok());
  auto row = st->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(st->ColumnInt(0), -(int64_t{1} << 40));
  EXPECT_EQ(st->ColumnText(1), "text");
  EXPECT_EQ(st->ColumnBlob(2), std::string("a\0b\xff", 4));
  EXPECT_TRUE(st->IsNull(3));
  EXPECT_EQ(st->ColumnOptionalBlob(3), std::nullopt);
  row = st->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST(SqliteTest, CachedStatementIsResetAndReused) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/cache.db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Execute(kCreateSql).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Insert(*db, "k" + std::to_string(i), i).ok());
  }
  for (int i = 0; i < 5; ++i) {
    auto st = db->Prepare(kSelectSql);
    ASSERT_TRUE(st.ok());
    st->BindText(1, "k" + std::to_string(i));
    auto row = st->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(st->ColumnInt(0), i);
  }
}

TEST(SqliteTest, SameStatementCanBeNestedWhileInUse) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/nest.db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Execute(kCreateSql).ok());
  ASSERT_TRUE(Insert(*db, "a", 1).ok());
  ASSERT_TRUE(Insert(*db, "b", 2).ok());
  auto outer = db->Prepare(kAllSql);
  ASSERT_TRUE(outer.ok());
  int rows = 0;
  for (;;) {
    auto more = outer->Step();
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    // The cached statement is mid-step; a second use must get its own.
    auto inner = db->Prepare(kAllSql);
    ASSERT_TRUE(inner.ok());
    auto first = inner->Step();
    ASSERT_TRUE(first.ok() && *first);
    EXPECT_EQ(inner->ColumnText(0), "a");
    ++rows;
  }
  EXPECT_EQ(rows, 2);
}

TEST(SqliteTest, MalformedSqlIsInternal) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/bad.db");
  ASSERT_NE(db, nullptr);
  auto st = db->Prepare("SELEKT nothing");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kInternal);
  EXPECT_EQ(st.status().reason(), "storage_misuse");
}

TEST(SqliteTest, ConstraintViolationIsAborted) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/uniq.db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Execute(kCreateSql).ok());
  ASSERT_TRUE(Insert(*db, "a", 1).ok());
  Status st = Insert(*db, "a", 2);
  EXPECT_EQ(st.code(), StatusCode::kAborted) << st.ToString();
  EXPECT_EQ(st.reason(), "constraint_violation");
}

TEST(SqliteTest, FullDiskIsResourceExhausted) {
  TempDir dir;
  auto db = OpenOrDie(dir.path() + "/full.db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Execute(kCreateSql).ok());
  ASSERT_TRUE(db->Execute("PRAGMA max_page_count = 3").ok());
  Status st = db->Execute("INSERT INTO t (k, v) VALUES (hex(randomblob(100000)), 1)");
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  EXPECT_EQ(st.reason(), "storage_full");
  EXPECT_THAT(st.message(), HasSubstr("full"));
}

}  // namespace
}  // namespace vault::store
