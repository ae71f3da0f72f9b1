// Thin RAII layer over SQLite (after Chromium's sql/): a Database is one
// connection with its prepared statements cached; a Statement binds `?`
// placeholders and steps; a Transaction rolls back unless committed.
// SQLite result codes become Status values here and nowhere else: a full disk
// is ResourceExhausted("storage_full"), a busy or failing file is Unavailable.
//
// Thread-compatible: one thread uses a Database at a time (Store hands them
// out). Not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

// SQLite's handle types, declared rather than included: <sqlite3.h> stays
// private to store/ (vault_store links SQLite PRIVATE), so no room above the
// store can call sqlite3_* even by accident.
struct sqlite3;
struct sqlite3_stmt;

namespace vault::store {

// Maps an SQLite result code to a Status; `what` says what was being done.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

class Statement {
 public:
  Statement(sqlite3_stmt* stmt, bool owned) : stmt_(stmt), owned_(owned) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), owned_(other.owned_) {
    other.stmt_ = nullptr;
  }

  // Placeholders are 1-based, as in SQLite.
  Statement& BindInt(int index, int64_t value);
  Statement& BindText(int index, std::string_view value);
  Statement& BindBlob(int index, std::string_view value);
  Statement& BindNull(int index);
  Statement& BindOptionalBlob(int index, const std::optional<std::string>& value);
  Statement& BindOptionalText(int index, const std::optional<std::string>& value);

  // True when a row is ready to read, false when done.
  StatusOr<bool> Step();
  // Steps to completion; for statements that return no rows.
  Status Run();

  bool IsNull(int column) const;
  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  std::optional<std::string> ColumnOptionalBlob(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;

 private:
  sqlite3_stmt* stmt_;
  bool owned_;  // false: borrowed from the connection's cache, reset on close
};

class Database {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // How long a connection waits for a lock another connection holds.
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens (creating if kReadWrite) the file at `path` with WAL, synchronous=
  // FULL, foreign keys on, secure_delete on, and a busy timeout. A new file
  // is created with mode 0600.
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A statement for `sql`, prepared once per connection and cached. `sql`
  // should be a constant (kFooSql). Internal on a malformed statement.
  StatusOr<Statement> Prepare(const char* sql);
  // Runs one or more statements without results (migrations, pragmas).
  Status Execute(std::string_view sql);
  int64_t Changes() const;
  sqlite3* raw() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Copies the database `src` is connected to into a new file at `dest` (mode
// 0600) through SQLite's backup API, as of the snapshot `src` reads (hold a
// read transaction on it for a consistent copy), then folds the WAL in and
// leaves rollback-journal mode, so `dest` is one self-contained file. The one
// database copy: Store::Backup, and the CLI's backup and restore.
Status CopyDatabase(Database& src, const std::string& dest);

// BEGIN IMMEDIATE (or DEFERRED for readers) on construction; ROLLBACK on
// destruction unless Commit() succeeded.
class Transaction {
 public:
  enum class Kind { kImmediate, kDeferred };
  explicit Transaction(Database& db, Kind kind = Kind::kImmediate);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // The status of BEGIN; check before using the transaction.
  const Status& begin_status() const { return begin_status_; }
  Status Commit();

 private:
  Database& db_;
  Status begin_status_;
  bool open_ = false;
};

// Copies the database `src` sees (its snapshot, when it is inside a read
// transaction) to a new file `dest` (0600) through the SQLite backup API,
// then folds the copy's WAL in and leaves it in rollback mode: one
// self-contained file, with no -wal or -shm beside it. The one database copy
// (Store::Backup, backups and restores of a vault).
Status CopyDatabase(Database& src, const std::string& dest);

}  // namespace vault::store
