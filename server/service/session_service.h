// SessionService: signing in and out of the web form, audited. AuthService
// (auth/) checks passwords and keeps sessions; this records what it did: one
// auth.login entry per attempt, success or failure (never the password), and
// one auth.logout entry per sign-out, each durable before the answer. It also
// says what a principal may do (for the sign-in answer and /v1/auth/me).
//
// Thread-safe (AuthService, Policy and AuditLog are).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "auth/principal.h"
#include "common/status.h"
#include "policy/policy.h"
#include "service/audit_guard.h"

namespace vault::service {

// What a principal may do, as the policy grants it to their roles.
struct PrincipalView {
  auth::Principal principal;
  std::vector<std::pair<policy::Field, policy::Level>> fields;  // every field, in kAllFields order
  std::vector<policy::Action> actions;                          // granted, in kAllActions order
  int reveal_quota_per_hour = 0;
};

class SessionService {
 public:
  SessionService(auth::AuthService& auth, const policy::Policy& policy, audit::AuditLog& audit);

  // Signs `username` in (AuthService::Login, its errors unchanged) and records
  // auth.login under "employee:<username, at most 64 bytes>" with the outcome
  // and, on failure, the reason. AuditUnavailable if the entry cannot be
  // written (then no session is handed out).
  StatusOr<auth::LoginResult> Login(std::string_view username, std::string_view password,
                                    const RequestMeta& meta);

  // Ends `session` when `who` signed in with it (via "session"; a token has
  // no session to end) and records auth.logout.
  Status Logout(const auth::Principal& who, const RequestMeta& meta, std::string_view session);

  PrincipalView Describe(const auth::Principal& who) const;

  // How long a session lives at most, for the cookie's Max-Age.
  int64_t session_max_age_s() const { return auth_.options().session_absolute_ms / 1000; }

 private:
  auth::AuthService& auth_;
  const policy::Policy& policy_;
  audit::AuditLog& audit_;
};

}  // namespace vault::service
