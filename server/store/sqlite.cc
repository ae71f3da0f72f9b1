#include "store/sqlite.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace vault::store {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  int primary = rc & 0xff;
  if (primary == SQLITE_OK || primary == SQLITE_DONE || primary == SQLITE_ROW) {
    return Status::Ok();
  }
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = std::string(what) + ": " + detail;
  switch (primary) {
    case SQLITE_FULL:
      return ResourceExhausted("storage is full", Reason::kStorageFull);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("storage is busy, try again", "storage_busy");
    case SQLITE_CONSTRAINT:
      return Aborted(message, "constraint_violation");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(message, "storage_corrupt");
    case SQLITE_ERROR:
      return Unavailable(message, "storage_error");
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return Internal(message, "storage_misuse");
    default:
      return Unavailable(message, "storage_unavailable");
  }
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::BindInt(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::BindText(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::BindOptionalBlob(int index, const std::optional<std::string>& v) {
  return v ? BindBlob(index, *v) : BindNull(index);
}
Statement& Statement::BindOptionalText(int index, const std::optional<std::string>& v) {
  return v ? BindText(index, *v) : BindNull(index);
}

StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, sqlite3_db_handle(stmt_), "step");
}

Status Statement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
std::string Statement::ColumnText(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}
std::string Statement::ColumnBlob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}
std::optional<std::string> Statement::ColumnOptionalBlob(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnBlob(column);
}
std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnText(column);
}

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, Mode mode) {
  if (mode == Mode::kReadWrite) {
    // Create the file ourselves so it is 0600 from its first byte; SQLite
    // gives the -wal and -shm files the database file's permissions. Only
    // when it is new: close() drops every POSIX lock this process holds on
    // the file, SQLite's included, and a connection of this process may
    // have it open already (a second Open of the live file). Without its
    // locks, the next process to close the database thinks it is the last,
    // checkpoints and deletes the WAL under the live connections, and every
    // later commit goes to a deleted file.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      ::fchmod(fd, 0600);
      ::close(fd);
    } else if (errno != EEXIST) {
      return Unavailable("cannot open database file " + path, "storage_unavailable");
    } else {
      ::chmod(path.c_str(), 0600);  // by path: no descriptor, no lock dropped
    }
  }
  sqlite3* raw = nullptr;
  int flags = (mode == Mode::kReadWrite ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
              SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(rc, raw, "open " + path);
    sqlite3_close(raw);
    return st;
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  RETURN_IF_ERROR(
      db->Execute("PRAGMA foreign_keys = ON;"
                  "PRAGMA secure_delete = ON;"
                  "PRAGMA synchronous = FULL;"
                  "PRAGMA temp_store = MEMORY;"));
  if (mode == Mode::kReadWrite) {
    RETURN_IF_ERROR(db->Execute("PRAGMA journal_mode = WAL;"));
  }
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

StatusOr<Statement> Database::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !sqlite3_stmt_busy(it->second)) {
    return Statement(it->second, /*owned=*/false);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(rc, db_, "prepare");
    // A malformed constant is a bug; a locked/full database is not.
    if ((rc & 0xff) == SQLITE_ERROR) return Internal(st.message(), "storage_misuse");
    return st;
  }
  if (it != cache_.end()) {
    return Statement(stmt, /*owned=*/true);  // the cached one is in use
  }
  cache_.emplace(sql, stmt);
  return Statement(stmt, /*owned=*/false);
}

Status Database::Execute(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return SqliteStatus(rc, db_, "execute");
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
  begin_status_ = db_.Execute(kind == Kind::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN");
  open_ = begin_status_.ok();
}

Transaction::~Transaction() {
  if (open_) db_.Execute("ROLLBACK").IgnoreError();
}

Status Transaction::Commit() {
  if (!open_) return begin_status_.ok() ? Internal("transaction not open") : begin_status_;
  Status st = db_.Execute("COMMIT");
  if (st.ok()) open_ = false;
  return st;
}

Status CopyDatabase(Database& src, const std::string& dest) {
  {
    ASSIGN_OR_RETURN(auto out, Database::Open(dest, Database::Mode::kReadWrite));
    sqlite3_backup* backup = sqlite3_backup_init(out->raw(), "main", src.raw(), "main");
    if (backup == nullptr) return SqliteStatus(sqlite3_errcode(out->raw()), out->raw(), "backup");
    int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) return SqliteStatus(rc, out->raw(), "backup");
    // One self-contained file: fold the WAL in and leave rollback mode.
    RETURN_IF_ERROR(out->Execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;"));
  }
  ::unlink((dest + "-wal").c_str());
  ::unlink((dest + "-shm").c_str());
  return Status::Ok();
}

}  // namespace vault::store
