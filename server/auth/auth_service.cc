#include "auth/auth_service.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "common/text.h"
#include "crypto/secret_bytes.h"
#include "crypto/util.h"

namespace vault::auth {
namespace {

constexpr std::string_view kTokenPrefix = "cvk_";
constexpr size_t kTokenIdHex = 16;
constexpr size_t kTokenSecretChars = 43;  // 32 bytes, base64url, no padding
constexpr int64_t kSessionTouchMs = 30 * 1000;

std::string Hash32(std::string_view data) {
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr, 0);
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status InvalidToken() {
  return Unauthenticated("the API token is invalid, expired or revoked", "invalid_token");
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

std::string Principal::Label() const {
  switch (kind) {
    case Kind::kEmployee:
      return "employee:" + name;
    case Kind::kService:
      return "service:" + name;
    case Kind::kAnonymous:
      return "anonymous";
  }
  return "anonymous";
}

std::string Principal::RolesString() const { return JoinRoles(roles); }

std::vector<std::string> SplitRoles(std::string_view roles) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= roles.size()) {
    size_t end = roles.find(',', start);
    if (end == std::string_view::npos) end = roles.size();
    if (end > start) out.emplace_back(roles.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string JoinRoles(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& r : roles) {
    if (!out.empty()) out.push_back(',');
    out.append(r);
  }
  return out;
}

bool ParseToken(std::string_view token, std::string* id, std::string* secret) {
  if (token.size() != kTokenPrefix.size() + kTokenIdHex + 1 + kTokenSecretChars ||
      !token.starts_with(kTokenPrefix)) {
    return false;
  }
  std::string_view id_part = token.substr(kTokenPrefix.size(), kTokenIdHex);
  if (token[kTokenPrefix.size() + kTokenIdHex] != '_') return false;
  std::string_view secret_part = token.substr(kTokenPrefix.size() + kTokenIdHex + 1);
  bool id_ok = IsLowerHex(id_part, kTokenIdHex);
  bool secret_ok = std::all_of(secret_part.begin(), secret_part.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (!id_ok || !secret_ok) return false;
  *id = std::string(id_part);
  *secret = std::string(secret_part);
  return true;
}

AuthService::AuthService(store::Store& store, const policy::Policy& policy, AuthOptions options,
                         Clock clock)
    : store_(store),
      policy_(policy),
      options_(options),
      clock_(clock),
      hasher_(options.max_concurrent_hashes, options.password_ops, options.password_mem),
      login_failures_(clock) {}

StatusOr<Principal> AuthService::LoadPrincipal(store::Database& db, std::string_view kind,
                                               int64_t id) {
  Principal p;
  p.id = id;
  if (kind == "employee") {
    ASSIGN_OR_RETURN(auto row, store::FindEmployeeById(db, id));
    if (!row || !row->active) return InvalidToken();
    p.kind = Principal::Kind::kEmployee;
    p.name = row->username;
    p.display_name = row->display_name;
    p.roles = SplitRoles(row->roles);
  } else {
    ASSIGN_OR_RETURN(auto row, store::FindServiceAccountById(db, id));
    if (!row || !row->active) return InvalidToken();
    p.kind = Principal::Kind::kService;
    p.name = row->name;
    p.display_name = row->name;
    p.roles = SplitRoles(row->roles);
  }
  return p;
}

StatusOr<Principal> AuthService::AuthenticateBearer(std::string_view authorization) {
  std::string id, secret;
  std::string_view value = authorization;
  bool well_formed =
      value.size() > 7 && (value.substr(0, 7) == "Bearer " || value.substr(0, 7) == "bearer ");
  if (well_formed) value.remove_prefix(7);
  well_formed = well_formed && ParseToken(value, &id, &secret);
  // Do the same hashing and comparison whatever went wrong, so the time
  // taken does not say which part of a token was bad.
  std::string presented = Hash32(well_formed ? secret : std::string(kTokenSecretChars, 'x'));
  std::optional<store::TokenRow> row;
  Principal principal;
  bool ok = false;
  Status st = store_.Read([&](store::Database& db) -> Status {
    if (well_formed) {
      ASSIGN_OR_RETURN(row, store::FindToken(db, id));
    }
    std::string stored = row ? row->secret_hash : std::string(32, '\0');
    bool match = ConstantTimeEqual(stored, presented);
    int64_t now = clock_();
    ok = well_formed && row && match && !row->revoked_at &&
         (!row->expires_at || *row->expires_at > now);
    if (!ok) return Status::Ok();
    auto p = LoadPrincipal(db, row->principal_kind, row->principal_id);
    if (!p.ok()) {
      ok = false;
      return p.status().code() == StatusCode::kUnauthenticated ? Status::Ok() : p.status();
    }
    principal = std::move(p).value();
    return Status::Ok();
  });
  RETURN_IF_ERROR(st);
  if (!ok) return InvalidToken();
  principal.via = "token:" + id;
  return principal;
}

StatusOr<Principal> AuthService::AuthenticateSession(std::string_view session) {
  Status expired = Unauthenticated("your session has ended; sign in again", "session_expired");
  if (session.empty() || session.size() > 128) return expired;
  std::string id_hash = Hash32(session);
  std::optional<store::SessionRow> row;
  Principal principal;
  int64_t now = clock_();
  bool ok = false;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(row, store::FindSession(db, id_hash));
    if (!row || row->expires_at <= now || row->last_seen_at + options_.session_idle_ms <= now) {
      return Status::Ok();
    }
    auto p = LoadPrincipal(db, "employee", row->employee_id);
    if (!p.ok()) {
      return p.status().code() == StatusCode::kUnauthenticated ? Status::Ok() : p.status();
    }
    principal = std::move(p).value();
    ok = true;
    return Status::Ok();
  }));
  if (!ok) {
    if (row) {
      store_.WriteEssential([&](store::Database& db) { return store::DeleteSession(db, id_hash); })
          .IgnoreError();
    }
    return expired;
  }
  if (now - row->last_seen_at >= kSessionTouchMs) {
    // Session upkeep is essential: signed-in staff keep reading on a full disk.
    RETURN_IF_ERROR(store_.WriteEssential(
        [&](store::Database& db) { return store::TouchSession(db, id_hash, now); }));
  }
  principal.via = "session";
  principal.csrf_token = row->csrf_token;
  return principal;
}

StatusOr<LoginResult> AuthService::Login(std::string_view username, std::string_view password,
                                         const std::string& client) {
  std::string user_key = "user:" + std::string(username.substr(0, 64));
  std::string client_key = "client:" + client;
  for (const std::string& key : {user_key, client_key}) {
    // Clients behind one shop router share an address: allow them more.
    int limit = key == client_key ? options_.login_attempts * 4 : options_.login_attempts;
    std::chrono::milliseconds wait =
        login_failures_.RetryAfter(key, limit, options_.login_window_ms);
    if (wait.count() > 0) {
      int64_t minutes = std::max<int64_t>(1, (wait.count() + 59999) / 60000);
      return RateLimited("too many failed sign-in attempts; try again in " +
                             std::to_string(minutes) + " minute" + (minutes == 1 ? "" : "s"),
                         "login_rate_limited", wait);
    }
  }
  std::optional<store::EmployeeRow> row;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(row, store::FindEmployeeByUsername(db, username));
    return Status::Ok();
  }));
  const std::string* hash =
      row && row->active && row->password_hash ? &*row->password_hash : nullptr;
  if (!hasher_.Verify(hash, password)) {
    login_failures_.Add(user_key, options_.login_window_ms);
    login_failures_.Add(client_key, options_.login_window_ms);
    return Unauthenticated("wrong username or password", "invalid_credentials");
  }
  login_failures_.Reset(user_key);
  LoginResult result;
  result.session = crypto::Base64UrlEncode(crypto::RandomBytes(32));
  result.csrf_token = crypto::Base64UrlEncode(crypto::RandomBytes(24));
  int64_t now = clock_();
  result.expires_at_ms = now + options_.session_absolute_ms;
  store::SessionRow session{Hash32(result.session), row->id, result.csrf_token, now, now,
                            result.expires_at_ms};
  RETURN_IF_ERROR(store_.WriteEssential([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(store::DeleteExpiredSessions(db, now, options_.session_idle_ms));
    return store::InsertSession(db, session);
  }));
  result.principal.kind = Principal::Kind::kEmployee;
  result.principal.id = row->id;
  result.principal.name = row->username;
  result.principal.display_name = row->display_name;
  result.principal.roles = SplitRoles(row->roles);
  result.principal.via = "session";
  result.principal.csrf_token = result.csrf_token;
  return result;
}

Status AuthService::Logout(std::string_view session) {
  std::string id_hash = Hash32(session);
  return store_.WriteEssential(
      [&](store::Database& db) { return store::DeleteSession(db, id_hash); });
}

Status AuthService::CheckRoles(const std::vector<std::string>& roles) const {
  if (roles.empty()) return InvalidArgument("at least one role is required", "roles_invalid");
  for (const auto& role : roles) {
    if (!policy_.HasRole(role)) {
      return InvalidArgument("unknown role \"" + role + "\"", "roles_invalid");
    }
  }
  return Status::Ok();
}

StatusOr<store::EmployeeRow> AuthService::CreateEmployee(const NewEmployee& employee,
                                                         const WriteHook& hook) {
  if (!IsValidName(employee.username)) {
    return InvalidArgument("username must be 1-64 characters of a-z, 0-9, '-', '_' or '.'",
                           "username_invalid");
  }
  RETURN_IF_ERROR(CheckRoles(employee.roles));
  store::EmployeeRow row;
  row.username = employee.username;
  if (employee.display_name.empty()) {
    row.display_name = employee.username;
  } else {
    ASSIGN_OR_RETURN(row.display_name, NormalizeName(employee.display_name));
  }
  row.roles = JoinRoles(employee.roles);
  if (employee.password) {
    ASSIGN_OR_RETURN(row.password_hash, hasher_.Hash(*employee.password));
  }
  row.created_at = row.updated_at = clock_() / 1000;
  RETURN_IF_ERROR(store_.Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(store::InsertEmployee(db, &row));
    if (hook) RETURN_IF_ERROR(hook(db));
    return Status::Ok();
  }));
  return row;
}

StatusOr<store::EmployeeRow> AuthService::UpdateEmployee(std::string_view username,
                                                         const EmployeePatch& patch,
                                                         const WriteHook& hook) {
  if (patch.roles) RETURN_IF_ERROR(CheckRoles(*patch.roles));
  std::optional<std::string> new_hash;
  if (patch.password) {
    ASSIGN_OR_RETURN(new_hash, hasher_.Hash(*patch.password));
  }
  std::optional<std::string> display;
  if (patch.display_name) {
    ASSIGN_OR_RETURN(display, NormalizeName(*patch.display_name));
  }
  store::EmployeeRow row;
  RETURN_IF_ERROR(store_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto found, store::FindEmployeeByUsername(db, username));
    if (!found) return NotFound("no such employee", "employee_not_found");
    row = std::move(*found);
    if (display) row.display_name = *display;
    if (patch.roles) row.roles = JoinRoles(*patch.roles);
    if (new_hash) row.password_hash = new_hash;
    if (patch.active) row.active = *patch.active;
    row.updated_at = clock_() / 1000;
    RETURN_IF_ERROR(store::UpdateEmployee(db, row));
    // A disabled employee or a new password ends every open session.
    if (!row.active || new_hash) RETURN_IF_ERROR(store::DeleteSessionsOf(db, row.id));
    if (hook) RETURN_IF_ERROR(hook(db));
    return Status::Ok();
  }));
  return row;
}

StatusOr<std::vector<store::EmployeeRow>> AuthService::ListEmployees() {
  std::vector<store::EmployeeRow> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(rows, store::ListEmployees(db));
    return Status::Ok();
  }));
  return rows;
}

StatusOr<store::ServiceAccountRow> AuthService::CreateServiceAccount(
    std::string_view name, const std::vector<std::string>& roles, const WriteHook& hook) {
  if (!IsValidName(name)) {
    return InvalidArgument("name must be 1-64 characters of a-z, 0-9, '-', '_' or '.'",
                           "name_invalid");
  }
  RETURN_IF_ERROR(CheckRoles(roles));
  store::ServiceAccountRow row;
  row.name = std::string(name);
  row.roles = JoinRoles(roles);
  row.created_at = clock_() / 1000;
  RETURN_IF_ERROR(store_.Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(store::InsertServiceAccount(db, &row));
    if (hook) RETURN_IF_ERROR(hook(db));
    return Status::Ok();
  }));
  return row;
}

StatusOr<std::vector<store::ServiceAccountRow>> AuthService::ListServiceAccounts() {
  std::vector<store::ServiceAccountRow> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(rows, store::ListServiceAccounts(db));
    return Status::Ok();
  }));
  return rows;
}

StatusOr<IssuedToken> AuthService::IssueToken(std::string_view kind, std::string_view name,
                                              std::string_view description,
                                              std::optional<int64_t> expires_at_ms,
                                              const WriteHook& hook) {
  if (kind != "employee" && kind != "service") {
    return InvalidArgument("kind must be employee or service", "kind_invalid");
  }
  if (description.size() > 200 || !IsValidUtf8(description)) {
    return InvalidArgument("description must be valid text of at most 200 bytes",
                           "description_invalid");
  }
  int64_t now = clock_();
  if (expires_at_ms && *expires_at_ms <= now) {
    return InvalidArgument("expiry must be in the future", "expiry_invalid");
  }
  IssuedToken issued;
  std::string id = crypto::HexEncode(crypto::RandomBytes(kTokenIdHex / 2));
  std::string secret = crypto::Base64UrlEncode(crypto::RandomBytes(32));
  issued.token = std::string(kTokenPrefix) + id + "_" + secret;
  issued.row.id = id;
  issued.row.principal_kind = std::string(kind);
  issued.row.secret_hash = Hash32(secret);
  crypto::WipeString(secret);
  issued.row.description = std::string(description);
  issued.row.created_at = now;
  issued.row.expires_at = expires_at_ms;
  RETURN_IF_ERROR(store_.Write([&](store::Database& db) -> Status {
    if (kind == "employee") {
      ASSIGN_OR_RETURN(auto e, store::FindEmployeeByUsername(db, name));
      if (!e) return NotFound("no such employee", "employee_not_found");
      issued.row.principal_id = e->id;
    } else {
      ASSIGN_OR_RETURN(auto s, store::FindServiceAccountByName(db, name));
      if (!s) return NotFound("no such service account", "service_account_not_found");
      issued.row.principal_id = s->id;
    }
    RETURN_IF_ERROR(store::InsertToken(db, issued.row));
    if (hook) RETURN_IF_ERROR(hook(db));
    return Status::Ok();
  }));
  return issued;
}

Status AuthService::RevokeToken(std::string_view id, const WriteHook& hook) {
  int64_t now = clock_();
  return store_.Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(store::RevokeToken(db, id, now));
    if (hook) RETURN_IF_ERROR(hook(db));
    return Status::Ok();
  });
}

StatusOr<std::vector<store::TokenRow>> AuthService::ListTokens() {
  std::vector<store::TokenRow> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(rows, store::ListTokens(db));
    return Status::Ok();
  }));
  return rows;
}

}  // namespace vault::auth
