#include "store/privacy_tables.h"

#include <sqlite3.h>

namespace vault::store {
namespace {

#define CONSENT_COLUMNS                                                  \
  "seq, customer_id, purpose, granted, channel, actor, notice_version, " \
  "notice_hash, time_ms, audit_seq"

constexpr char kInsertConsentSql[] =
    "INSERT INTO consent_events (customer_id, purpose, granted, channel, actor, "
    "notice_version, notice_hash, time_ms, audit_seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kConsentHistorySql[] =
    "SELECT " CONSENT_COLUMNS " FROM consent_events WHERE customer_id = ? ORDER BY seq";
constexpr char kCurrentConsentsSql[] =
    "SELECT " CONSENT_COLUMNS
    " FROM consent_events AS e WHERE e.customer_id = ?1"
    " AND e.seq = (SELECT MAX(seq) FROM consent_events"
    "              WHERE customer_id = e.customer_id AND purpose = e.purpose)"
    " ORDER BY e.purpose";
constexpr char kConsentingSql[] =
    "SELECT e.customer_id FROM consent_events AS e"
    " WHERE e.purpose = ?1 AND e.granted = 1"
    " AND e.seq = (SELECT MAX(seq) FROM consent_events"
    "              WHERE purpose = ?1 AND customer_id = e.customer_id)"
    " ORDER BY e.customer_id";
constexpr char kUnseenSql[] =
    "SELECT id, last_seen_at FROM customers WHERE last_seen_at < ?"
    " ORDER BY last_seen_at, id";
constexpr char kTruncateWalSql[] = "PRAGMA wal_checkpoint(TRUNCATE)";

ConsentRow ReadConsent(const Statement& st) {
  ConsentRow row;
  row.seq = st.ColumnInt(0);
  row.customer_id = st.ColumnText(1);
  row.purpose = st.ColumnText(2);
  row.granted = st.ColumnInt(3) != 0;
  row.channel = st.ColumnText(4);
  row.actor = st.ColumnText(5);
  row.notice_version = st.ColumnText(6);
  row.notice_hash = st.ColumnText(7);
  row.time_ms = st.ColumnInt(8);
  row.audit_seq = st.ColumnInt(9);
  return row;
}

StatusOr<std::vector<ConsentRow>> ReadConsents(Statement& st) {
  std::vector<ConsentRow> rows;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) return rows;
    rows.push_back(ReadConsent(st));
  }
}

}  // namespace

StatusOr<int64_t> InsertConsent(Database& db, const ConsentRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertConsentSql));
  Status s = st.BindText(1, row.customer_id)
                 .BindText(2, row.purpose)
                 .BindInt(3, row.granted ? 1 : 0)
                 .BindText(4, row.channel)
                 .BindText(5, row.actor)
                 .BindText(6, row.notice_version)
                 .BindText(7, row.notice_hash)
                 .BindInt(8, row.time_ms)
                 .BindInt(9, row.audit_seq)
                 .Run();
  if (s.code() == StatusCode::kAborted) {
    // The foreign key: callers validate channel and purpose beforehand.
    return NotFound("no such customer", Reason::kCustomerNotFound);
  }
  RETURN_IF_ERROR(s);
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db.raw()));
}

StatusOr<std::vector<ConsentRow>> ConsentHistory(Database& db, std::string_view customer_id) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kConsentHistorySql));
  st.BindText(1, customer_id);
  return ReadConsents(st);
}

StatusOr<std::vector<ConsentRow>> CurrentConsents(Database& db, std::string_view customer_id) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kCurrentConsentsSql));
  st.BindText(1, customer_id);
  return ReadConsents(st);
}

StatusOr<std::vector<std::string>> CustomersConsentingTo(Database& db, std::string_view purpose) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kConsentingSql));
  st.BindText(1, purpose);
  std::vector<std::string> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) return ids;
    ids.push_back(st.ColumnText(0));
  }
}

StatusOr<std::vector<UnseenCustomer>> CustomersUnseenSince(Database& db, int64_t before_s) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kUnseenSql));
  st.BindInt(1, before_s);
  std::vector<UnseenCustomer> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) return out;
    out.push_back({st.ColumnText(0), st.ColumnInt(1)});
  }
}

Status TruncateWal(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kTruncateWalSql));
  ASSIGN_OR_RETURN(bool row, st.Step());
  // One row: busy (1 if the checkpoint could not complete), WAL frames,
  // frames checkpointed.
  bool busy = row && st.ColumnInt(0) != 0;
  RETURN_IF_ERROR(st.Run());
  if (busy) {
    return Unavailable("the WAL could not be checkpointed: the database is busy", "wal_busy");
  }
  return Status::Ok();
}

}  // namespace vault::store
