#include "store/audit_tables.h"

#include <functional>

namespace vault::store {
namespace {

#define AUDIT_COLUMNS                                                            \
  "seq, time_ms, principal, roles, action, record_id, fields, reason, outcome, " \
  "detail, request_id, client, key_id, mac"

constexpr char kInsertAuditSql[] =
    "INSERT INTO audit_log (" AUDIT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kLastAuditSql[] =
    "SELECT " AUDIT_COLUMNS " FROM audit_log ORDER BY seq DESC LIMIT 1";
constexpr char kFindAuditSql[] = "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE seq = ?";
constexpr char kQueryAuditSql[] = "SELECT " AUDIT_COLUMNS
                                  " FROM audit_log WHERE seq > ?1"
                                  " AND (?2 IS NULL OR principal = ?2)"
                                  " AND (?3 IS NULL OR record_id = ?3)"
                                  " AND (?4 IS NULL OR action = ?4)"
                                  " AND (?5 IS NULL OR time_ms >= ?5)"
                                  " AND (?6 IS NULL OR time_ms < ?6)"
                                  " ORDER BY seq LIMIT ?7";
constexpr char kScanAuditSql[] =
    "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE seq > ? ORDER BY seq";
constexpr char kCountRevealsSql[] =
    "SELECT COUNT(*) FROM audit_log WHERE principal = ? AND time_ms >= ? "
    "AND action = 'customer.reveal' AND outcome = 'success'";

constexpr char kRevealTimeAfterSql[] =
    "SELECT time_ms FROM audit_log WHERE principal = ? AND time_ms >= ? "
    "AND action = 'customer.reveal' AND outcome = 'success' "
    "ORDER BY time_ms, seq LIMIT 1 OFFSET ?";

AuditRow ReadAudit(const Statement& st) {
  AuditRow row;
  row.seq = st.ColumnInt(0);
  row.time_ms = st.ColumnInt(1);
  row.principal = st.ColumnText(2);
  row.roles = st.ColumnText(3);
  row.action = st.ColumnText(4);
  row.record_id = st.ColumnText(5);
  row.fields = st.ColumnText(6);
  row.reason = st.ColumnText(7);
  row.outcome = st.ColumnText(8);
  row.detail = st.ColumnText(9);
  row.request_id = st.ColumnText(10);
  row.client = st.ColumnText(11);
  row.key_id = static_cast<uint32_t>(st.ColumnInt(12));
  row.mac = st.ColumnBlob(13);
  return row;
}

}  // namespace

Status InsertAuditRow(Database& db, const AuditRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertAuditSql));
  return st.BindInt(1, row.seq)
      .BindInt(2, row.time_ms)
      .BindText(3, row.principal)
      .BindText(4, row.roles)
      .BindText(5, row.action)
      .BindText(6, row.record_id)
      .BindText(7, row.fields)
      .BindText(8, row.reason)
      .BindText(9, row.outcome)
      .BindText(10, row.detail)
      .BindText(11, row.request_id)
      .BindText(12, row.client)
      .BindInt(13, row.key_id)
      .BindBlob(14, row.mac)
      .Run();
}

StatusOr<std::optional<AuditRow>> LastAuditRow(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kLastAuditSql));
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<AuditRow>();
  return std::optional<AuditRow>(ReadAudit(st));
}

StatusOr<std::optional<AuditRow>> FindAuditRow(Database& db, int64_t seq) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kFindAuditSql));
  st.BindInt(1, seq);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<AuditRow>();
  return std::optional<AuditRow>(ReadAudit(st));
}

StatusOr<std::vector<AuditRow>> QueryAudit(Database& db, const AuditQuery& q) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kQueryAuditSql));
  st.BindInt(1, q.after_seq);
  st.BindOptionalText(2, q.principal);
  st.BindOptionalText(3, q.record_id);
  st.BindOptionalText(4, q.action);
  if (q.since_ms)
    st.BindInt(5, *q.since_ms);
  else
    st.BindNull(5);
  if (q.until_ms)
    st.BindInt(6, *q.until_ms);
  else
    st.BindNull(6);
  st.BindInt(7, q.limit);
  std::vector<AuditRow> rows;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    rows.push_back(ReadAudit(st));
  }
  return rows;
}

Status ScanAudit(Database& db, int64_t after_seq,
                 const std::function<Status(const AuditRow&)>& fn) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kScanAuditSql));
  st.BindInt(1, after_seq);
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) return Status::Ok();
    RETURN_IF_ERROR(fn(ReadAudit(st)));
  }
}

StatusOr<int64_t> CountReveals(Database& db, std::string_view principal, int64_t since_ms) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kCountRevealsSql));
  st.BindText(1, principal).BindInt(2, since_ms);
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

StatusOr<std::optional<int64_t>> RevealTimeAfter(Database& db, std::string_view principal,
                                                 int64_t since_ms, int64_t skip) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kRevealTimeAfterSql));
  st.BindText(1, principal).BindInt(2, since_ms).BindInt(3, skip);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.ColumnInt(0));
}

}  // namespace vault::store
