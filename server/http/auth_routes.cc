// /v1/auth/login, /v1/auth/logout, /v1/auth/me. Sign-in sets the session
// cookie (__Host- prefix, Secure, HttpOnly, SameSite=Strict) and returns the
// CSRF token the page must send on unsafe requests.
#include "http/routes.h"

namespace vault::http {
namespace {

std::string CookieHeader(const std::string& value, int64_t max_age_seconds) {
  return std::string(kSessionCookie) + "=" + value + "; Path=/; Secure; HttpOnly; " +
         "SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
}

Json EncodePrincipal(const service::PrincipalView& view) {
  const auth::Principal& who = view.principal;
  Json roles = who.roles;
  Json fields = Json::object();
  for (const auto& [field, level] : view.fields) {
    fields[std::string(policy::FieldName(field))] = std::string(policy::LevelName(level));
  }
  Json actions = Json::array();
  for (policy::Action a : view.actions) actions.push_back(std::string(policy::ActionName(a)));
  Json out = {{"kind", who.kind == auth::Principal::Kind::kService ? "service" : "employee"},
              {"name", who.name},
              {"display_name", who.display_name},
              {"roles", roles},
              {"fields", fields},
              {"actions", actions},
              {"reveal_quota_per_hour", view.reveal_quota_per_hour}};
  if (!who.csrf_token.empty()) out["csrf_token"] = who.csrf_token;
  return out;
}

}  // namespace

void RegisterAuthRoutes(Router& server, App& app) {
  server.Post("/v1/auth/login", [&app](const Request& req, Response& res) {
    Anonymous(app, req, res, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, app.config.max_json_depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"username", "password"}));
      ASSIGN_OR_RETURN(std::string username, RequiredString(body, "username"));
      ASSIGN_OR_RETURN(std::string password, RequiredString(body, "password"));
      ASSIGN_OR_RETURN(auto login, app.sessions->Login(username, password, c.meta));
      res.set_header("Set-Cookie", CookieHeader(login.session, app.sessions->session_max_age_s()));
      Json out = EncodePrincipal(app.sessions->Describe(login.principal));
      out["expires_at"] = login.expires_at_ms;
      WriteJson(res, 200, out);
      return Status::Ok();
    });
  });

  server.Post("/v1/auth/logout", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAuthLogout, [&](Call& c) -> Status {
      RETURN_IF_ERROR(app.sessions->Logout(c.who, c.meta, SessionCookie(req)));
      res.set_header("Set-Cookie", CookieHeader("", 0));
      res.status = 204;
      return Status::Ok();
    });
  });

  server.Get("/v1/auth/me", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAuthMe, [&](Call& c) -> Status {
      WriteJson(res, 200, EncodePrincipal(app.sessions->Describe(c.who)));
      return Status::Ok();
    });
  });
}

}  // namespace vault::http
