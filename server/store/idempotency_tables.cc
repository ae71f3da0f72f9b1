#include "store/idempotency_tables.h"

namespace vault::store {
namespace {

constexpr char kFindSql[] =
    "SELECT principal, key, fingerprint, fingerprint_key_id, state, status, content_type, "
    "body, created_at FROM idempotency_keys WHERE principal = ? AND key = ?";
constexpr char kInsertSql[] =
    "INSERT INTO idempotency_keys (principal, key, fingerprint, fingerprint_key_id, state, "
    "status, content_type, body, created_at) VALUES (?, ?, ?, ?, 'pending', 0, '', x'', ?)";
constexpr char kCompleteSql[] =
    "UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, body = ? "
    "WHERE principal = ? AND key = ?";
constexpr char kDeleteSql[] = "DELETE FROM idempotency_keys WHERE principal = ? AND key = ?";
constexpr char kPruneSql[] = "DELETE FROM idempotency_keys WHERE created_at < ?";

}  // namespace

StatusOr<std::optional<IdempotencyRow>> FindIdempotency(Database& db, std::string_view principal,
                                                        std::string_view key) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kFindSql));
  st.BindText(1, principal).BindText(2, key);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<IdempotencyRow>();
  IdempotencyRow r;
  r.principal = st.ColumnText(0);
  r.key = st.ColumnText(1);
  r.fingerprint = st.ColumnBlob(2);
  r.fingerprint_key_id = static_cast<uint32_t>(st.ColumnInt(3));
  r.state = st.ColumnText(4);
  r.status = static_cast<int>(st.ColumnInt(5));
  r.content_type = st.ColumnText(6);
  r.body = st.ColumnBlob(7);
  r.created_at = st.ColumnInt(8);
  return std::optional<IdempotencyRow>(std::move(r));
}

Status InsertIdempotency(Database& db, const IdempotencyRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertSql));
  return st.BindText(1, row.principal)
      .BindText(2, row.key)
      .BindBlob(3, row.fingerprint)
      .BindInt(4, row.fingerprint_key_id)
      .BindInt(5, row.created_at)
      .Run();
}

Status CompleteIdempotency(Database& db, std::string_view principal, std::string_view key,
                           int status, std::string_view content_type, std::string_view body) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kCompleteSql));
  return st.BindInt(1, status)
      .BindText(2, content_type)
      .BindBlob(3, body)
      .BindText(4, principal)
      .BindText(5, key)
      .Run();
}

Status DeleteIdempotency(Database& db, std::string_view principal, std::string_view key) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kDeleteSql));
  return st.BindText(1, principal).BindText(2, key).Run();
}

Status PruneIdempotency(Database& db, int64_t older_than_ms) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kPruneSql));
  return st.BindInt(1, older_than_ms).Run();
}

}  // namespace vault::store
