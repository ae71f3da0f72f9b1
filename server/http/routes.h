// What the routes share: the App (every service the HTTP layer calls), the
// one request wrapper (authentication, CSRF, no-store, problem+json), and one
// registration function per area. Handlers parse, call a service, encode.
#pragma once

#include <functional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit_action.h"
#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "common/config.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "http/json_body.h"
#include "http/message.h"
#include "http/metrics.h"
#include "policy/policy.h"
#include "service/access_request.h"
#include "service/access_service.h"
#include "service/admin_service.h"
#include "service/consent_ledger.h"
#include "service/customer_service.h"
#include "service/health_service.h"
#include "service/idempotency.h"
#include "service/marketing_export.h"
#include "service/retention_job.h"
#include "service/session_service.h"
#include "store/store.h"

namespace vault::http {

using audit::AuditAction;

// Everything a route may call. Owned by main (or a test); outlives the server.
// Services only: a route reaches the store, the keys and the audit log
// through one of these, never around them.
struct App {
  Config config;
  service::AccessService* access = nullptr;
  service::AdminService* admin = nullptr;
  auth::AuthService* auth = nullptr;  // authenticates each request (call.cc)
  service::SessionService* sessions = nullptr;
  service::HealthService* health = nullptr;
  Metrics* metrics = nullptr;
  service::IdempotencyService* idempotency = nullptr;
  // The privacy routes answer 503 without theirs.
  service::ConsentLedger* consents = nullptr;
  service::MarketingExport* marketing = nullptr;
  service::RetentionJob* retention = nullptr;
  service::AccessRequest* access_requests = nullptr;
};

inline constexpr char kSessionCookie[] = "__Host-cv_session";

// Session, sign-in and hashing settings from the config.
auth::AuthOptions AuthOptionsFrom(const Config& config);

// The request id given to this request (also sent as X-Request-Id).
std::string RequestId(const Response& res);

// One authenticated call: the principal and where the request came from.
struct Call {
  const Request& req;
  Response& res;
  auth::Principal who;
  service::RequestMeta meta;
};

// Authenticates (Bearer token, else session cookie plus X-CSRF-Token on
// unsafe methods), runs `fn`, and writes a problem+json for any error.
// Failed authentication is audited under `action`. Responses are no-store.
void Authenticated(App& app, const Request& req, Response& res, AuditAction action,
                   const std::function<Status(Call&)>& fn);
// As above without authentication (sign-in).
void Anonymous(App& app, const Request& req, Response& res, const std::function<Status(Call&)>& fn);

// The `i`-th capture group (1-based) of the pattern the route matched, or ""
// when it has fewer: the one way a handler reads an id from its path.
std::string PathParam(const Request& req, size_t i = 1);

// The session cookie's value from the Cookie header, or "".
std::string SessionCookie(const Request& req);

// The routes: each a method and a regular expression matched against the
// whole (percent-decoded) path. Dispatch runs the first route registered for
// the request's method (HEAD runs GET's) whose pattern matches, with
// req.matches holding the captures. AllowedMethods lets a path served under
// other methods answer 405 with an Allow header rather than 404.
// Registration happens before serving; Dispatch is then thread-safe.
class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  using Handler = std::function<void(const Request&, Response&)>;
  Router& Get(const std::string& pattern, Handler h) { return Add("GET", pattern, std::move(h)); }
  Router& Post(const std::string& pattern, Handler h) { return Add("POST", pattern, std::move(h)); }
  Router& Put(const std::string& pattern, Handler h) { return Add("PUT", pattern, std::move(h)); }
  Router& Patch(const std::string& pattern, Handler h) {
    return Add("PATCH", pattern, std::move(h));
  }
  Router& Delete(const std::string& pattern, Handler h) {
    return Add("DELETE", pattern, std::move(h));
  }

  // Runs the matching route; false when none serves the path under the
  // request's method (the caller answers 404 or 405).
  bool Dispatch(Request& req, Response& res) const;

  // The methods some route serves `path` under, for an Allow header
  // ("GET, HEAD, PATCH"); empty when no route knows the path.
  std::string AllowedMethods(const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    Handler handler;
  };
  Router& Add(const char* method, const std::string& pattern, Handler h);

  std::vector<Route> routes_;
};

void RegisterHealthRoutes(Router& server, App& app);
void RegisterCustomerRoutes(Router& server, App& app);
void RegisterAuthRoutes(Router& server, App& app);
void RegisterAdminRoutes(Router& server, App& app);
void RegisterWebRoutes(Router& server, App& app);
void RegisterPrivacyRoutes(Router& server, App& app);

}  // namespace vault::http
