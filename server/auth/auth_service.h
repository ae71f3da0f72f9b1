// AuthService: establishes principals and administers them.
//  - API tokens `cvk_<id>_<secret>`: the secret is stored only as a BLAKE2b
//    hash, looked up by id and compared in constant time; revoked, expired,
//    unknown and malformed tokens all fail the same way, after the same work.
//  - Web sessions: a random cookie value stored as a hash, a CSRF token, an
//    idle and an absolute timeout; sign-in is rate limited per username and
//    per client address, with Argon2id verification bounded in concurrency.
//  - Employees, service accounts and tokens: created, listed, disabled,
//    revoked. Admin calls take an audit hook that runs in the same
//    transaction as the change.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/password.h"
#include "auth/principal.h"
#include "common/clock.h"
#include "common/rate_limiter.h"
#include "common/status.h"
#include "policy/policy.h"
#include "store/principal_tables.h"
#include "store/store.h"

namespace vault::auth {

using WriteHook = std::function<Status(store::Database&)>;

struct AuthOptions {
  int64_t session_idle_ms = 15 * 60 * 1000;
  int64_t session_absolute_ms = 8 * 60 * 60 * 1000;
  int login_attempts = 5;  // failures per window before sign-in is refused
  int64_t login_window_ms = 15 * 60 * 1000;
  int max_concurrent_hashes = 2;
  // Argon2id cost for password hashes; tests lower it.
  unsigned long long password_ops = 2;  // OPSLIMIT_INTERACTIVE
  size_t password_mem = 64ull << 20;    // MEMLIMIT_INTERACTIVE
};

struct LoginResult {
  std::string session;  // the cookie value; shown once, stored as a hash
  std::string csrf_token;
  int64_t expires_at_ms = 0;
  Principal principal;
};

struct NewEmployee {
  std::string username;
  std::string display_name;
  std::vector<std::string> roles;
  std::optional<std::string> password;
};

struct EmployeePatch {
  std::optional<std::string> display_name;
  std::optional<std::vector<std::string>> roles;
  std::optional<std::string> password;
  std::optional<bool> active;
};

struct IssuedToken {
  std::string token;  // cvk_<id>_<secret>, shown once
  store::TokenRow row;
};

class AuthService {
 public:
  AuthService(store::Store& store, const policy::Policy& policy, AuthOptions options,
              Clock clock = SystemClock());

  // `authorization` is the whole header value ("Bearer cvk_…").
  // Unauthenticated("invalid_token") for every kind of failure.
  StatusOr<Principal> AuthenticateBearer(std::string_view authorization);
  // Unauthenticated("session_expired") for unknown, idle or expired sessions.
  StatusOr<Principal> AuthenticateSession(std::string_view session);

  // Unauthenticated("invalid_credentials"), or ResourceExhausted
  // ("login_rate_limited") naming when to try again.
  StatusOr<LoginResult> Login(std::string_view username, std::string_view password,
                              const std::string& client);
  Status Logout(std::string_view session);

  StatusOr<store::EmployeeRow> CreateEmployee(const NewEmployee& employee,
                                              const WriteHook& hook = {});
  StatusOr<store::EmployeeRow> UpdateEmployee(std::string_view username, const EmployeePatch& patch,
                                              const WriteHook& hook = {});
  StatusOr<std::vector<store::EmployeeRow>> ListEmployees();

  StatusOr<store::ServiceAccountRow> CreateServiceAccount(std::string_view name,
                                                          const std::vector<std::string>& roles,
                                                          const WriteHook& hook = {});
  StatusOr<std::vector<store::ServiceAccountRow>> ListServiceAccounts();

  // kind: "employee" or "service"; `name` names the principal.
  StatusOr<IssuedToken> IssueToken(std::string_view kind, std::string_view name,
                                   std::string_view description,
                                   std::optional<int64_t> expires_at_ms,
                                   const WriteHook& hook = {});
  Status RevokeToken(std::string_view id, const WriteHook& hook = {});
  StatusOr<std::vector<store::TokenRow>> ListTokens();

  const AuthOptions& options() const { return options_; }

 private:
  Status CheckRoles(const std::vector<std::string>& roles) const;
  StatusOr<Principal> LoadPrincipal(store::Database& db, std::string_view kind, int64_t id);

  store::Store& store_;
  const policy::Policy& policy_;
  AuthOptions options_;
  Clock clock_;
  PasswordHasher hasher_;
  RateLimiter login_failures_;
};

// Parses "cvk_<16 hex>_<43 base64url>" into id and secret; false otherwise.
bool ParseToken(std::string_view token, std::string* id, std::string* secret);

}  // namespace vault::auth
