// The one request wrapper every /v1 route goes through.
#include <sodium.h>

#include "http/problem.h"
#include "http/routes.h"

namespace vault::http {
namespace {

bool IsUnsafe(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

service::RequestMeta MetaOf(const Request& req, const Response& res) {
  return {RequestId(res), req.remote_addr};
}

void Finish(Response& res, const Status& st) {
  res.set_header("Cache-Control", "no-store");
  if (!st.ok()) WriteProblem(res, st, RequestId(res));
}

}  // namespace

std::string PathParam(const Request& req, size_t i) {
  return req.matches.size() > i ? std::string(req.matches[i]) : std::string();
}

auth::AuthOptions AuthOptionsFrom(const Config& config) {
  auth::AuthOptions o;
  o.session_idle_ms = int64_t{config.session_idle_minutes} * 60 * 1000;
  o.session_absolute_ms = int64_t{config.session_absolute_minutes} * 60 * 1000;
  o.login_attempts = config.login_attempts_per_window;
  o.login_window_ms = int64_t{config.login_window_minutes} * 60 * 1000;
  o.max_concurrent_hashes = config.max_concurrent_password_hashes;
  return o;
}

std::string SessionCookie(const Request& req) {
  std::string header = req.get_header_value("Cookie");
  std::string_view rest = header;
  const std::string_view name = kSessionCookie;
  while (!rest.empty()) {
    size_t end = rest.find(';');
    std::string_view part = rest.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return "";
}

void Authenticated(App& app, const Request& req, Response& res, AuditAction action,
                   const std::function<Status(Call&)>& fn) {
  Call call{req, res, {}, MetaOf(req, res)};
  auto authenticate = [&]() -> Status {
    if (req.has_header("Authorization")) {
      ASSIGN_OR_RETURN(call.who,
                       app.auth->AuthenticateBearer(req.get_header_value("Authorization")));
      return Status::Ok();
    }
    std::string session = SessionCookie(req);
    if (session.empty()) {
      return Unauthenticated("sign in or send an API token", "unauthenticated");
    }
    ASSIGN_OR_RETURN(call.who, app.auth->AuthenticateSession(session));
    if (IsUnsafe(req.method)) {
      std::string csrf = req.get_header_value("X-CSRF-Token");
      const std::string& want = call.who.csrf_token;
      if (csrf.size() != want.size() || sodium_memcmp(csrf.data(), want.data(), want.size()) != 0) {
        return PermissionDenied("missing or wrong CSRF token", "csrf_failed");
      }
    }
    return Status::Ok();
  };
  Status st = authenticate();
  if (!st.ok()) {
    if (st.code() == StatusCode::kUnauthenticated || st.code() == StatusCode::kPermissionDenied) {
      Status recorded = app.access->RecordUnauthenticated(call.meta, action, st.reason());
      if (!recorded.ok()) st = recorded;  // fail closed: 503
    }
    Finish(res, st);
    return;
  }
  Finish(res, fn(call));
}

void Anonymous(App& app, const Request& req, Response& res,
               const std::function<Status(Call&)>& fn) {
  (void)app;
  Call call{req, res, {}, MetaOf(req, res)};
  Finish(res, fn(call));
}

}  // namespace vault::http
