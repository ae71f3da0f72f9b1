#include "store/key_tables.h"

#include <sqlite3.h>

namespace vault::store {
namespace {

#define JOB_COLUMNS                                                               \
  "id, purpose, old_key_id, new_key_id, state, total, done, cursor, started_at, " \
  "finished_at"
constexpr char kInsertJobSql[] =
    "INSERT INTO rotation_jobs (purpose, old_key_id, new_key_id, state, total, done, "
    "cursor, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kRunningJobSql[] =
    "SELECT " JOB_COLUMNS " FROM rotation_jobs WHERE state = 'running'";
constexpr char kLatestJobSql[] =
    "SELECT " JOB_COLUMNS " FROM rotation_jobs ORDER BY id DESC LIMIT 1";
constexpr char kUpdateJobSql[] =
    "UPDATE rotation_jobs SET state = ?, total = ?, done = ?, cursor = ?, finished_at = ? "
    "WHERE id = ?";

#define ROTATION_COLUMNS                                                            \
  "rowid, id, dek, dek_key_id, email_ct, phone_ct, COALESCE(email_idx_key_id, 0), " \
  "COALESCE(phone_idx_key_id, 0)"
constexpr char kRowsToRewrapSql[] =
    "SELECT " ROTATION_COLUMNS
    " FROM customers WHERE rowid > ? AND dek_key_id != ? ORDER BY rowid LIMIT ?";
constexpr char kRowsToReindexSql[] =
    "SELECT " ROTATION_COLUMNS
    " FROM customers WHERE rowid > ?1 AND (email_idx_key_id != ?2 OR "
    "phone_idx_key_id != ?2) ORDER BY rowid LIMIT ?3";
constexpr char kCountNotDataSql[] = "SELECT COUNT(*) FROM customers WHERE dek_key_id != ?";
constexpr char kCountNotIndexSql[] =
    "SELECT COUNT(*) FROM customers WHERE email_idx_key_id != ?1 OR phone_idx_key_id != ?1";
// Conditional: only while the row still holds what the job read (the same
// wrapped DEK; the same ciphertexts), so a record changed or erased since is
// left alone (the job's final pass picks up what still needs it).
constexpr char kSetDekSql[] =
    "UPDATE customers SET dek = ?1, dek_key_id = ?2 WHERE rowid = ?3 AND dek = ?4";
constexpr char kSetIndexesSql[] =
    "UPDATE customers SET email_idx = ?1, email_idx_key_id = CASE WHEN ?1 IS NULL THEN NULL "
    "ELSE ?3 END, phone_idx = ?2, phone_idx_key_id = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 "
    "END WHERE rowid = ?4 AND dek = ?5 AND email_ct IS ?6 AND phone_ct IS ?7";
constexpr char kRecordsUsingKeySql[] =
    "SELECT COUNT(*) FROM customers WHERE dek_key_id = ?1 OR email_idx_key_id = ?1 OR "
    "phone_idx_key_id = ?1";
constexpr char kAuditUsingKeySql[] = "SELECT COUNT(*) FROM audit_log WHERE key_id = ?";

RotationJobRow ReadJob(const Statement& st) {
  RotationJobRow row;
  row.id = st.ColumnInt(0);
  row.purpose = st.ColumnText(1);
  row.old_key_id = static_cast<uint32_t>(st.ColumnInt(2));
  row.new_key_id = static_cast<uint32_t>(st.ColumnInt(3));
  row.state = st.ColumnText(4);
  row.total = st.ColumnInt(5);
  row.done = st.ColumnInt(6);
  row.cursor = st.ColumnInt(7);
  row.started_at = st.ColumnInt(8);
  if (!st.IsNull(9)) row.finished_at = st.ColumnInt(9);
  return row;
}

StatusOr<std::optional<RotationJobRow>> OneJob(Database& db, const char* sql) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(sql));
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<RotationJobRow>();
  return std::optional<RotationJobRow>(ReadJob(st));
}

StatusOr<std::vector<RotationRow>> Rows(Database& db, const char* sql, int64_t after, uint32_t key,
                                        int limit) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(sql));
  st.BindInt(1, after).BindInt(2, key).BindInt(3, limit);
  std::vector<RotationRow> rows;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    RotationRow r;
    r.rowid = st.ColumnInt(0);
    r.id = st.ColumnText(1);
    r.dek = st.ColumnBlob(2);
    r.dek_key_id = static_cast<uint32_t>(st.ColumnInt(3));
    r.email_ct = st.ColumnOptionalBlob(4);
    r.phone_ct = st.ColumnOptionalBlob(5);
    r.email_idx_key_id = static_cast<uint32_t>(st.ColumnInt(6));
    r.phone_idx_key_id = static_cast<uint32_t>(st.ColumnInt(7));
    rows.push_back(std::move(r));
  }
  return rows;
}

StatusOr<int64_t> CountWith(Database& db, const char* sql, int64_t key) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(sql));
  st.BindInt(1, key);
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

}  // namespace

Status InsertRotationJob(Database& db, RotationJobRow* row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertJobSql));
  st.BindText(1, row->purpose)
      .BindInt(2, row->old_key_id)
      .BindInt(3, row->new_key_id)
      .BindText(4, row->state)
      .BindInt(5, row->total)
      .BindInt(6, row->done)
      .BindInt(7, row->cursor)
      .BindInt(8, row->started_at);
  Status s = st.Run();
  if (s.code() == StatusCode::kAborted) {
    return FailedPrecondition("a rotation is already running", "rotation_running");
  }
  RETURN_IF_ERROR(s);
  row->id = sqlite3_last_insert_rowid(db.raw());
  return Status::Ok();
}

StatusOr<std::optional<RotationJobRow>> RunningRotationJob(Database& db) {
  return OneJob(db, kRunningJobSql);
}

StatusOr<std::optional<RotationJobRow>> LatestRotationJob(Database& db) {
  return OneJob(db, kLatestJobSql);
}

Status UpdateRotationJob(Database& db, const RotationJobRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kUpdateJobSql));
  st.BindText(1, row.state).BindInt(2, row.total).BindInt(3, row.done).BindInt(4, row.cursor);
  if (row.finished_at) {
    st.BindInt(5, *row.finished_at);
  } else {
    st.BindNull(5);
  }
  return st.BindInt(6, row.id).Run();
}

StatusOr<std::vector<RotationRow>> RowsToRewrap(Database& db, int64_t after_rowid,
                                                uint32_t new_key_id, int limit) {
  return Rows(db, kRowsToRewrapSql, after_rowid, new_key_id, limit);
}

StatusOr<std::vector<RotationRow>> RowsToReindex(Database& db, int64_t after_rowid,
                                                 uint32_t new_key_id, int limit) {
  return Rows(db, kRowsToReindexSql, after_rowid, new_key_id, limit);
}

StatusOr<int64_t> CountNotUnderDataKey(Database& db, uint32_t key_id) {
  return CountWith(db, kCountNotDataSql, key_id);
}

StatusOr<int64_t> CountNotUnderIndexKey(Database& db, uint32_t key_id) {
  return CountWith(db, kCountNotIndexSql, key_id);
}

StatusOr<bool> SetWrappedDek(Database& db, const RotationRow& was, std::string_view dek,
                             uint32_t key_id) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kSetDekSql));
  RETURN_IF_ERROR(
      st.BindBlob(1, dek).BindInt(2, key_id).BindInt(3, was.rowid).BindBlob(4, was.dek).Run());
  return db.Changes() > 0;
}

StatusOr<bool> SetBlindIndexes(Database& db, const RotationRow& was,
                               const std::optional<std::string>& email_idx,
                               const std::optional<std::string>& phone_idx, uint32_t key_id) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kSetIndexesSql));
  st.BindOptionalBlob(1, email_idx).BindOptionalBlob(2, phone_idx);
  st.BindInt(3, key_id).BindInt(4, was.rowid).BindBlob(5, was.dek);
  st.BindOptionalBlob(6, was.email_ct).BindOptionalBlob(7, was.phone_ct);
  RETURN_IF_ERROR(st.Run());
  return db.Changes() > 0;
}

StatusOr<int64_t> RecordsUsingKey(Database& db, uint32_t key_id) {
  return CountWith(db, kRecordsUsingKeySql, key_id);
}

StatusOr<int64_t> AuditEntriesUsingKey(Database& db, uint32_t key_id) {
  return CountWith(db, kAuditUsingKeySql, key_id);
}

}  // namespace vault::store
