#include "store/vault_tables.h"

namespace vault::store {
namespace {

constexpr char kGetMetaSql[] = "SELECT value FROM meta WHERE key = ?";
constexpr char kSetMetaSql[] =
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

constexpr char kDeleteMetaSql[] = "DELETE FROM meta WHERE key = ?";

constexpr char kLoadKeysSql[] =
    "SELECT id, purpose, state, wrapped, created_at FROM keyring ORDER BY id";
constexpr char kInsertKeySql[] =
    "INSERT INTO keyring (id, purpose, state, wrapped, created_at) "
    "VALUES (?, ?, ?, ?, ?)";
constexpr char kSetKeyStateSql[] = "UPDATE keyring SET state = ? WHERE id = ?";
constexpr char kDestroyKeySql[] =
    "UPDATE keyring SET state = 'destroyed', wrapped = NULL, destroyed_at = ? "
    "WHERE id = ?";
constexpr char kRewrapKeySql[] = "UPDATE keyring SET wrapped = ? WHERE id = ?";
constexpr char kNextKeyIdSql[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM keyring";

#define CUSTOMER_COLUMNS                                                    \
  "id, dek, dek_key_id, email_ct, phone_ct, name_ct, email_idx, "           \
  "email_idx_key_id, phone_idx, phone_idx_key_id, created_at, updated_at, " \
  "last_seen_at"

constexpr char kInsertCustomerSql[] =
    "INSERT INTO customers (" CUSTOMER_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kUpdateCustomerSql[] =
    "UPDATE customers SET dek = ?, dek_key_id = ?, email_ct = ?, phone_ct = ?, "
    "name_ct = ?, email_idx = ?, email_idx_key_id = ?, phone_idx = ?, "
    "phone_idx_key_id = ?, updated_at = ? WHERE id = ?";
constexpr char kDeleteCustomerSql[] = "DELETE FROM customers WHERE id = ?";
constexpr char kFindCustomerSql[] = "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE id = ?";
constexpr char kFindByEmailSql[] = "SELECT " CUSTOMER_COLUMNS
                                   " FROM customers WHERE email_idx = ? AND email_idx_key_id = ? "
                                   "ORDER BY created_at, id";
constexpr char kFindByPhoneSql[] = "SELECT " CUSTOMER_COLUMNS
                                   " FROM customers WHERE phone_idx = ? AND phone_idx_key_id = ? "
                                   "ORDER BY created_at, id";
// Only when last_seen_at is older than `resolution` seconds: most lookups
// then write nothing to the customer's row or the last-seen index.
constexpr char kTouchCustomerSql[] =
    "UPDATE customers SET last_seen_at = ?1 WHERE id = ?2 AND last_seen_at < ?1 - ?3";
constexpr char kCountCustomersSql[] = "SELECT COUNT(*) FROM customers";
constexpr char kKeyUsageSql[] =
    "SELECT key_id, COUNT(*) FROM ("
    " SELECT dek_key_id AS key_id FROM customers"
    " UNION ALL SELECT email_idx_key_id FROM customers"
    "   WHERE email_idx_key_id IS NOT NULL"
    " UNION ALL SELECT phone_idx_key_id FROM customers"
    "   WHERE phone_idx_key_id IS NOT NULL"
    ") GROUP BY key_id ORDER BY key_id";

CustomerRow ReadCustomer(const Statement& st) {
  CustomerRow row;
  row.id = st.ColumnText(0);
  row.dek = st.ColumnBlob(1);
  row.dek_key_id = static_cast<uint32_t>(st.ColumnInt(2));
  row.email_ct = st.ColumnOptionalBlob(3);
  row.phone_ct = st.ColumnOptionalBlob(4);
  row.name_ct = st.ColumnOptionalBlob(5);
  row.email_idx = st.ColumnOptionalBlob(6);
  row.email_idx_key_id = static_cast<uint32_t>(st.ColumnInt(7));
  row.phone_idx = st.ColumnOptionalBlob(8);
  row.phone_idx_key_id = static_cast<uint32_t>(st.ColumnInt(9));
  row.created_at = st.ColumnInt(10);
  row.updated_at = st.ColumnInt(11);
  row.last_seen_at = st.ColumnInt(12);
  return row;
}

void BindIndexKeyId(Statement& st, int index, const std::optional<std::string>& idx,
                    uint32_t key_id) {
  if (idx) {
    st.BindInt(index, key_id);
  } else {
    st.BindNull(index);
  }
}

StatusOr<std::vector<CustomerRow>> FindByIndex(Database& db, const char* sql,
                                               const std::vector<IndexProbe>& probes) {
  std::vector<CustomerRow> rows;
  for (const IndexProbe& probe : probes) {
    ASSIGN_OR_RETURN(Statement st, db.Prepare(sql));
    st.BindBlob(1, probe.index).BindInt(2, probe.key_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool more, st.Step());
      if (!more) break;
      rows.push_back(ReadCustomer(st));
    }
  }
  return rows;
}

}  // namespace

StatusOr<std::optional<std::string>> GetMeta(Database& db, std::string_view key) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kGetMetaSql));
  st.BindText(1, key);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnBlob(0));
}

Status SetMeta(Database& db, std::string_view key, std::string_view value) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kSetMetaSql));
  return st.BindText(1, key).BindBlob(2, value).Run();
}

Status DeleteMeta(Database& db, std::string_view key) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kDeleteMetaSql));
  return st.BindText(1, key).Run();
}

StatusOr<std::vector<crypto::KeyRow>> LoadKeyRows(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kLoadKeysSql));
  std::vector<crypto::KeyRow> rows;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    crypto::KeyRow row;
    row.id = static_cast<uint32_t>(st.ColumnInt(0));
    ASSIGN_OR_RETURN(row.purpose, crypto::ParsePurpose(st.ColumnText(1)));
    ASSIGN_OR_RETURN(row.state, crypto::ParseState(st.ColumnText(2)));
    row.wrapped = st.ColumnBlob(3);
    row.created_at = st.ColumnInt(4);
    rows.push_back(std::move(row));
  }
  return rows;
}

Status InsertKeyRow(Database& db, const crypto::KeyRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertKeySql));
  st.BindInt(1, row.id)
      .BindText(2, crypto::PurposeName(row.purpose))
      .BindText(3, crypto::StateName(row.state));
  if (row.state == crypto::KeyState::kDestroyed) {
    st.BindNull(4);
  } else {
    st.BindBlob(4, row.wrapped);
  }
  return st.BindInt(5, row.created_at).Run();
}

Status SetKeyState(Database& db, uint32_t id, crypto::KeyState state, int64_t now) {
  if (state == crypto::KeyState::kDestroyed) {
    ASSIGN_OR_RETURN(Statement st, db.Prepare(kDestroyKeySql));
    RETURN_IF_ERROR(st.BindInt(1, now).BindInt(2, id).Run());
  } else {
    ASSIGN_OR_RETURN(Statement st, db.Prepare(kSetKeyStateSql));
    RETURN_IF_ERROR(st.BindText(1, crypto::StateName(state)).BindInt(2, id).Run());
  }
  if (db.Changes() != 1) return NotFound("no key with that id", "key_not_found");
  return Status::Ok();
}

Status RewrapKeyRow(Database& db, uint32_t id, std::string_view wrapped) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kRewrapKeySql));
  return st.BindBlob(1, wrapped).BindInt(2, id).Run();
}

StatusOr<uint32_t> NextKeyId(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kNextKeyIdSql));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<uint32_t>(st.ColumnInt(0)) : 1u;
}

Status InsertCustomer(Database& db, const CustomerRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertCustomerSql));
  st.BindText(1, row.id).BindBlob(2, row.dek).BindInt(3, row.dek_key_id);
  st.BindOptionalBlob(4, row.email_ct)
      .BindOptionalBlob(5, row.phone_ct)
      .BindOptionalBlob(6, row.name_ct)
      .BindOptionalBlob(7, row.email_idx);
  BindIndexKeyId(st, 8, row.email_idx, row.email_idx_key_id);
  st.BindOptionalBlob(9, row.phone_idx);
  BindIndexKeyId(st, 10, row.phone_idx, row.phone_idx_key_id);
  st.BindInt(11, row.created_at).BindInt(12, row.updated_at).BindInt(13, row.last_seen_at);
  Status s = st.Run();
  if (s.code() == StatusCode::kAborted) {
    return AlreadyExists("a customer with this email exists already", "duplicate_email");
  }
  return s;
}

Status UpdateCustomer(Database& db, const CustomerRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kUpdateCustomerSql));
  st.BindBlob(1, row.dek).BindInt(2, row.dek_key_id);
  st.BindOptionalBlob(3, row.email_ct)
      .BindOptionalBlob(4, row.phone_ct)
      .BindOptionalBlob(5, row.name_ct)
      .BindOptionalBlob(6, row.email_idx);
  BindIndexKeyId(st, 7, row.email_idx, row.email_idx_key_id);
  st.BindOptionalBlob(8, row.phone_idx);
  BindIndexKeyId(st, 9, row.phone_idx, row.phone_idx_key_id);
  st.BindInt(10, row.updated_at).BindText(11, row.id);
  Status s = st.Run();
  if (s.code() == StatusCode::kAborted) {
    return AlreadyExists("a customer with this email exists already", "duplicate_email");
  }
  RETURN_IF_ERROR(s);
  if (db.Changes() != 1) return NotFound("no such customer", Reason::kCustomerNotFound);
  return Status::Ok();
}

StatusOr<bool> DeleteCustomer(Database& db, std::string_view id) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kDeleteCustomerSql));
  RETURN_IF_ERROR(st.BindText(1, id).Run());
  return db.Changes() == 1;
}

StatusOr<std::optional<CustomerRow>> FindCustomer(Database& db, std::string_view id) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kFindCustomerSql));
  st.BindText(1, id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<CustomerRow>();
  return std::optional<CustomerRow>(ReadCustomer(st));
}

StatusOr<std::vector<CustomerRow>> FindByEmailIndex(Database& db,
                                                    const std::vector<IndexProbe>& probes) {
  return FindByIndex(db, kFindByEmailSql, probes);
}

StatusOr<std::vector<CustomerRow>> FindByPhoneIndex(Database& db,
                                                    const std::vector<IndexProbe>& probes) {
  return FindByIndex(db, kFindByPhoneSql, probes);
}

Status TouchCustomer(Database& db, std::string_view id, int64_t now, int64_t resolution) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kTouchCustomerSql));
  return st.BindInt(1, now).BindText(2, id).BindInt(3, resolution).Run();
}

StatusOr<int64_t> CountCustomers(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kCountCustomersSql));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

StatusOr<std::vector<std::pair<uint32_t, int64_t>>> KeyUsage(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kKeyUsageSql));
  std::vector<std::pair<uint32_t, int64_t>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    out.emplace_back(static_cast<uint32_t>(st.ColumnInt(0)), st.ColumnInt(1));
  }
  return out;
}

}  // namespace vault::store
