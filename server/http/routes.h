// What the routes share: the App (every service the HTTP layer calls), the
// one request wrapper (authentication, CSRF, no-store, problem+json), and one
// registration function per area. Handlers parse, call a service, encode.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "common/config.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "http/json_body.h"
#include "http/metrics.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/admin_service.h"
#include "service/customer_service.h"
#include "service/idempotency.h"
#include "service/privacy_service.h"
#include "store/store.h"

namespace vault::http {

// Everything a route may call. Owned by main (or a test); outlives the server.
struct App {
  Config config;
  store::Store* store = nullptr;
  crypto::KeyringHolder* keys = nullptr;
  const policy::Policy* policy = nullptr;
  service::CustomerService* customers = nullptr;
  service::AccessService* access = nullptr;
  service::AdminService* admin = nullptr;
  auth::AuthService* auth = nullptr;
  audit::AuditLog* audit = nullptr;
  Metrics* metrics = nullptr;
  service::IdempotencyService* idempotency = nullptr;
  service::PrivacyService* privacy = nullptr;  // privacy routes answer 503 without it
};

inline constexpr char kSessionCookie[] = "__Host-cv_session";

// Session, sign-in and hashing settings from the config.
auth::AuthOptions AuthOptionsFrom(const Config& config);

// The request id given to this request (also sent as X-Request-Id).
std::string RequestId(const httplib::Response& res);

// One authenticated call: the principal and where the request came from.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  auth::Principal who;
  service::RequestMeta meta;
};

// Authenticates (Bearer token, else session cookie plus X-CSRF-Token on
// unsafe methods), runs `fn`, and writes a problem+json for any error.
// Failed authentication is audited under `action`. Responses are no-store.
void Authenticated(App& app, const httplib::Request& req, httplib::Response& res,
                   std::string_view action, const std::function<Status(Call&)>& fn);
// As above without authentication (sign-in).
void Anonymous(App& app, const httplib::Request& req, httplib::Response& res,
               const std::function<Status(Call&)>& fn);

// The session cookie's value from the Cookie header, or "".
std::string SessionCookie(const httplib::Request& req);

void RegisterHealthRoutes(httplib::Server& server, App& app);
void RegisterCustomerRoutes(httplib::Server& server, App& app);
void RegisterAuthRoutes(httplib::Server& server, App& app);
void RegisterAdminRoutes(httplib::Server& server, App& app);
void RegisterWebRoutes(httplib::Server& server, App& app);
void RegisterPrivacyRoutes(httplib::Server& server, App& app);

}  // namespace vault::http
