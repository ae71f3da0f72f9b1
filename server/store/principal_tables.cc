#include "store/principal_tables.h"

#include <sqlite3.h>

#include <functional>

namespace vault::store {
namespace {

constexpr char kInsertEmployeeSql[] =
    "INSERT INTO employees (username, display_name, roles, password_hash, active, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
#define EMPLOYEE_COLUMNS \
  "id, username, display_name, roles, password_hash, active, created_at, updated_at"
constexpr char kFindEmployeeByUsernameSql[] =
    "SELECT " EMPLOYEE_COLUMNS " FROM employees WHERE username = ?";
constexpr char kFindEmployeeByIdSql[] = "SELECT " EMPLOYEE_COLUMNS " FROM employees WHERE id = ?";
constexpr char kListEmployeesSql[] = "SELECT " EMPLOYEE_COLUMNS " FROM employees ORDER BY username";
constexpr char kUpdateEmployeeSql[] =
    "UPDATE employees SET display_name = ?, roles = ?, password_hash = ?, active = ?, "
    "updated_at = ? WHERE id = ?";
constexpr char kCountEmployeesSql[] = "SELECT COUNT(*) FROM employees";

constexpr char kInsertServiceSql[] =
    "INSERT INTO service_accounts (name, roles, active, created_at) VALUES (?, ?, ?, ?)";
#define SERVICE_COLUMNS "id, name, roles, active, created_at"
constexpr char kFindServiceByNameSql[] =
    "SELECT " SERVICE_COLUMNS " FROM service_accounts WHERE name = ?";
constexpr char kFindServiceByIdSql[] =
    "SELECT " SERVICE_COLUMNS " FROM service_accounts WHERE id = ?";
constexpr char kListServicesSql[] =
    "SELECT " SERVICE_COLUMNS " FROM service_accounts ORDER BY name";
constexpr char kUpdateServiceSql[] =
    "UPDATE service_accounts SET roles = ?, active = ? WHERE id = ?";

#define TOKEN_COLUMNS                                                        \
  "id, principal_kind, principal_id, secret_hash, description, created_at, " \
  "expires_at, revoked_at, last_used_at"
constexpr char kInsertTokenSql[] =
    "INSERT INTO api_tokens (" TOKEN_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kFindTokenSql[] = "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE id = ?";
constexpr char kListTokensSql[] =
    "SELECT " TOKEN_COLUMNS " FROM api_tokens ORDER BY created_at, id";
constexpr char kRevokeTokenSql[] =
    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?";
constexpr char kTouchTokenSql[] = "UPDATE api_tokens SET last_used_at = ? WHERE id = ?";

constexpr char kInsertSessionSql[] =
    "INSERT INTO sessions (id_hash, employee_id, csrf_token, created_at, last_seen_at, "
    "expires_at) VALUES (?, ?, ?, ?, ?, ?)";
constexpr char kFindSessionSql[] =
    "SELECT id_hash, employee_id, csrf_token, created_at, last_seen_at, expires_at "
    "FROM sessions WHERE id_hash = ?";
constexpr char kTouchSessionSql[] = "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?";
constexpr char kDeleteSessionSql[] = "DELETE FROM sessions WHERE id_hash = ?";
constexpr char kDeleteSessionsOfSql[] = "DELETE FROM sessions WHERE employee_id = ?";
constexpr char kDeleteExpiredSessionsSql[] =
    "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?";

EmployeeRow ReadEmployee(const Statement& st) {
  EmployeeRow row;
  row.id = st.ColumnInt(0);
  row.username = st.ColumnText(1);
  row.display_name = st.ColumnText(2);
  row.roles = st.ColumnText(3);
  row.password_hash = st.ColumnOptionalText(4);
  row.active = st.ColumnInt(5) != 0;
  row.created_at = st.ColumnInt(6);
  row.updated_at = st.ColumnInt(7);
  return row;
}

ServiceAccountRow ReadService(const Statement& st) {
  ServiceAccountRow row;
  row.id = st.ColumnInt(0);
  row.name = st.ColumnText(1);
  row.roles = st.ColumnText(2);
  row.active = st.ColumnInt(3) != 0;
  row.created_at = st.ColumnInt(4);
  return row;
}

std::optional<int64_t> OptionalInt(const Statement& st, int column) {
  if (st.IsNull(column)) return std::nullopt;
  return st.ColumnInt(column);
}

TokenRow ReadToken(const Statement& st) {
  TokenRow row;
  row.id = st.ColumnText(0);
  row.principal_kind = st.ColumnText(1);
  row.principal_id = st.ColumnInt(2);
  row.secret_hash = st.ColumnBlob(3);
  row.description = st.ColumnText(4);
  row.created_at = st.ColumnInt(5);
  row.expires_at = OptionalInt(st, 6);
  row.revoked_at = OptionalInt(st, 7);
  row.last_used_at = OptionalInt(st, 8);
  return row;
}

void BindOptionalInt(Statement& st, int index, const std::optional<int64_t>& v) {
  if (v) {
    st.BindInt(index, *v);
  } else {
    st.BindNull(index);
  }
}

template <typename Row, typename Reader>
StatusOr<std::optional<Row>> FindOne(Database& db, const char* sql, Reader read,
                                     const std::function<void(Statement&)>& bind) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(sql));
  bind(st);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Row>();
  return std::optional<Row>(read(st));
}

template <typename Row, typename Reader>
StatusOr<std::vector<Row>> FindAll(Database& db, const char* sql, Reader read) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(sql));
  std::vector<Row> rows;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    rows.push_back(read(st));
  }
  return rows;
}

Status UniqueOr(Status st, const char* what) {
  if (st.code() == StatusCode::kAborted) {
    return AlreadyExists(std::string(what) + " exists already", "already_exists");
  }
  return st;
}

}  // namespace

Status InsertEmployee(Database& db, EmployeeRow* row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertEmployeeSql));
  st.BindText(1, row->username).BindText(2, row->display_name).BindText(3, row->roles);
  st.BindOptionalText(4, row->password_hash)
      .BindInt(5, row->active ? 1 : 0)
      .BindInt(6, row->created_at)
      .BindInt(7, row->updated_at);
  RETURN_IF_ERROR(UniqueOr(st.Run(), "an employee with this username"));
  row->id = sqlite3_last_insert_rowid(db.raw());
  return Status::Ok();
}

StatusOr<std::optional<EmployeeRow>> FindEmployeeByUsername(Database& db,
                                                            std::string_view username) {
  return FindOne<EmployeeRow>(db, kFindEmployeeByUsernameSql, ReadEmployee,
                              [&](Statement& st) { st.BindText(1, username); });
}

StatusOr<std::optional<EmployeeRow>> FindEmployeeById(Database& db, int64_t id) {
  return FindOne<EmployeeRow>(db, kFindEmployeeByIdSql, ReadEmployee,
                              [&](Statement& st) { st.BindInt(1, id); });
}

StatusOr<std::vector<EmployeeRow>> ListEmployees(Database& db) {
  return FindAll<EmployeeRow>(db, kListEmployeesSql, ReadEmployee);
}

Status UpdateEmployee(Database& db, const EmployeeRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kUpdateEmployeeSql));
  st.BindText(1, row.display_name).BindText(2, row.roles);
  st.BindOptionalText(3, row.password_hash)
      .BindInt(4, row.active ? 1 : 0)
      .BindInt(5, row.updated_at)
      .BindInt(6, row.id);
  RETURN_IF_ERROR(st.Run());
  if (db.Changes() != 1) return NotFound("no such employee", "employee_not_found");
  return Status::Ok();
}

StatusOr<int64_t> CountEmployees(Database& db) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kCountEmployeesSql));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

Status InsertServiceAccount(Database& db, ServiceAccountRow* row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertServiceSql));
  st.BindText(1, row->name)
      .BindText(2, row->roles)
      .BindInt(3, row->active ? 1 : 0)
      .BindInt(4, row->created_at);
  RETURN_IF_ERROR(UniqueOr(st.Run(), "a service account with this name"));
  row->id = sqlite3_last_insert_rowid(db.raw());
  return Status::Ok();
}

StatusOr<std::optional<ServiceAccountRow>> FindServiceAccountByName(Database& db,
                                                                    std::string_view name) {
  return FindOne<ServiceAccountRow>(db, kFindServiceByNameSql, ReadService,
                                    [&](Statement& st) { st.BindText(1, name); });
}

StatusOr<std::optional<ServiceAccountRow>> FindServiceAccountById(Database& db, int64_t id) {
  return FindOne<ServiceAccountRow>(db, kFindServiceByIdSql, ReadService,
                                    [&](Statement& st) { st.BindInt(1, id); });
}

StatusOr<std::vector<ServiceAccountRow>> ListServiceAccounts(Database& db) {
  return FindAll<ServiceAccountRow>(db, kListServicesSql, ReadService);
}

Status UpdateServiceAccount(Database& db, const ServiceAccountRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kUpdateServiceSql));
  RETURN_IF_ERROR(
      st.BindText(1, row.roles).BindInt(2, row.active ? 1 : 0).BindInt(3, row.id).Run());
  if (db.Changes() != 1) {
    return NotFound("no such service account", "service_account_not_found");
  }
  return Status::Ok();
}

Status InsertToken(Database& db, const TokenRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertTokenSql));
  st.BindText(1, row.id)
      .BindText(2, row.principal_kind)
      .BindInt(3, row.principal_id)
      .BindBlob(4, row.secret_hash)
      .BindText(5, row.description)
      .BindInt(6, row.created_at);
  BindOptionalInt(st, 7, row.expires_at);
  BindOptionalInt(st, 8, row.revoked_at);
  BindOptionalInt(st, 9, row.last_used_at);
  return UniqueOr(st.Run(), "a token with this id");
}

StatusOr<std::optional<TokenRow>> FindToken(Database& db, std::string_view id) {
  return FindOne<TokenRow>(db, kFindTokenSql, ReadToken,
                           [&](Statement& st) { st.BindText(1, id); });
}

StatusOr<std::vector<TokenRow>> ListTokens(Database& db) {
  return FindAll<TokenRow>(db, kListTokensSql, ReadToken);
}

Status RevokeToken(Database& db, std::string_view id, int64_t now) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kRevokeTokenSql));
  RETURN_IF_ERROR(st.BindInt(1, now).BindText(2, id).Run());
  if (db.Changes() != 1) return NotFound("no such token", "token_not_found");
  return Status::Ok();
}

Status TouchToken(Database& db, std::string_view id, int64_t now) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kTouchTokenSql));
  return st.BindInt(1, now).BindText(2, id).Run();
}

Status InsertSession(Database& db, const SessionRow& row) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kInsertSessionSql));
  return st.BindBlob(1, row.id_hash)
      .BindInt(2, row.employee_id)
      .BindText(3, row.csrf_token)
      .BindInt(4, row.created_at)
      .BindInt(5, row.last_seen_at)
      .BindInt(6, row.expires_at)
      .Run();
}

StatusOr<std::optional<SessionRow>> FindSession(Database& db, std::string_view id_hash) {
  return FindOne<SessionRow>(
      db, kFindSessionSql,
      [](const Statement& st) {
        SessionRow row;
        row.id_hash = st.ColumnBlob(0);
        row.employee_id = st.ColumnInt(1);
        row.csrf_token = st.ColumnText(2);
        row.created_at = st.ColumnInt(3);
        row.last_seen_at = st.ColumnInt(4);
        row.expires_at = st.ColumnInt(5);
        return row;
      },
      [&](Statement& st) { st.BindBlob(1, id_hash); });
}

Status TouchSession(Database& db, std::string_view id_hash, int64_t now) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kTouchSessionSql));
  return st.BindInt(1, now).BindBlob(2, id_hash).Run();
}

Status DeleteSession(Database& db, std::string_view id_hash) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kDeleteSessionSql));
  return st.BindBlob(1, id_hash).Run();
}

Status DeleteSessionsOf(Database& db, int64_t employee_id) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kDeleteSessionsOfSql));
  return st.BindInt(1, employee_id).Run();
}

Status DeleteExpiredSessions(Database& db, int64_t now, int64_t idle_ms) {
  ASSIGN_OR_RETURN(Statement st, db.Prepare(kDeleteExpiredSessionsSql));
  return st.BindInt(1, now).BindInt(2, now - idle_ms).Run();
}

}  // namespace vault::store
