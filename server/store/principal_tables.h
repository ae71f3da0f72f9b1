// The SQL of V002 (employees, service accounts, API tokens, sessions). Plain
// functions over a Database from Store::Read/Write. Secrets never arrive here:
// only their hashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite.h"

namespace vault::store {

struct EmployeeRow {
  int64_t id = 0;
  std::string username;
  std::string display_name;
  std::string roles;  // comma-separated
  std::optional<std::string> password_hash;
  bool active = true;
  int64_t created_at = 0, updated_at = 0;
};

struct ServiceAccountRow {
  int64_t id = 0;
  std::string name;
  std::string roles;
  bool active = true;
  int64_t created_at = 0;
};

struct TokenRow {
  std::string id;
  std::string principal_kind;  // "employee" | "service"
  int64_t principal_id = 0;
  std::string secret_hash;
  std::string description;
  int64_t created_at = 0;
  std::optional<int64_t> expires_at, revoked_at, last_used_at;
};

struct SessionRow {
  std::string id_hash;
  int64_t employee_id = 0;
  std::string csrf_token;
  int64_t created_at = 0, last_seen_at = 0, expires_at = 0;
};

// Employees. InsertEmployee returns AlreadyExists for a taken username and
// sets row->id.
Status InsertEmployee(Database& db, EmployeeRow* row);
StatusOr<std::optional<EmployeeRow>> FindEmployeeByUsername(Database& db,
                                                            std::string_view username);
StatusOr<std::optional<EmployeeRow>> FindEmployeeById(Database& db, int64_t id);
StatusOr<std::vector<EmployeeRow>> ListEmployees(Database& db);
Status UpdateEmployee(Database& db, const EmployeeRow& row);
StatusOr<int64_t> CountEmployees(Database& db);

Status InsertServiceAccount(Database& db, ServiceAccountRow* row);
StatusOr<std::optional<ServiceAccountRow>> FindServiceAccountByName(Database& db,
                                                                    std::string_view name);
StatusOr<std::optional<ServiceAccountRow>> FindServiceAccountById(Database& db, int64_t id);
StatusOr<std::vector<ServiceAccountRow>> ListServiceAccounts(Database& db);
Status UpdateServiceAccount(Database& db, const ServiceAccountRow& row);

Status InsertToken(Database& db, const TokenRow& row);
StatusOr<std::optional<TokenRow>> FindToken(Database& db, std::string_view id);
StatusOr<std::vector<TokenRow>> ListTokens(Database& db);
// NotFound if absent; no-op if already revoked.
Status RevokeToken(Database& db, std::string_view id, int64_t now);
Status TouchToken(Database& db, std::string_view id, int64_t now);

Status InsertSession(Database& db, const SessionRow& row);
StatusOr<std::optional<SessionRow>> FindSession(Database& db, std::string_view id_hash);
Status TouchSession(Database& db, std::string_view id_hash, int64_t now);
Status DeleteSession(Database& db, std::string_view id_hash);
Status DeleteSessionsOf(Database& db, int64_t employee_id);
Status DeleteExpiredSessions(Database& db, int64_t now, int64_t idle_ms);

}  // namespace vault::store
