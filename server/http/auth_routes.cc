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

Json EncodePrincipal(const policy::Policy& policy, const auth::Principal& who) {
  Json roles = who.roles;
  Json fields = Json::object();
  for (policy::Field f : policy::kAllFields) {
    fields[std::string(policy::FieldName(f))] =
        std::string(policy::LevelName(policy.FieldLevel(who.roles, f)));
  }
  Json actions = Json::array();
  for (policy::Action a : policy::kAllActions) {
    if (policy.Allows(who.roles, a)) actions.push_back(std::string(policy::ActionName(a)));
  }
  Json out = {{"kind", who.kind == auth::Principal::Kind::kService ? "service" : "employee"},
              {"name", who.name},
              {"display_name", who.display_name},
              {"roles", roles},
              {"fields", fields},
              {"actions", actions},
              {"reveal_quota_per_hour", policy.RevealQuotaPerHour(who.roles)}};
  if (!who.csrf_token.empty()) out["csrf_token"] = who.csrf_token;
  return out;
}

}  // namespace

void RegisterAuthRoutes(Router& server, App& app) {
  server.Post("/v1/auth/login", [&app](const httplib::Request& req, httplib::Response& res) {
    Anonymous(app, req, res, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, app.config.max_json_depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"username", "password"}));
      ASSIGN_OR_RETURN(std::string username, RequiredString(body, "username"));
      ASSIGN_OR_RETURN(std::string password, RequiredString(body, "password"));
      audit::Entry entry(AuditAction::kAuthLogin);
      entry.principal = "employee:" + username.substr(0, 64);
      entry.request_id = c.meta.request_id;
      entry.client = c.meta.client;
      auto login = app.auth->Login(username, password, c.meta.client);
      if (!login.ok()) {
        entry.outcome = audit::OutcomeFor(login.status());
        entry.detail = login.status().reason();
        RETURN_IF_ERROR(app.audit->Record(entry).status());
        return login.status();
      }
      entry.roles = login->principal.RolesString();
      RETURN_IF_ERROR(app.audit->Record(entry).status());
      res.set_header("Set-Cookie",
                     CookieHeader(login->session, app.auth->options().session_absolute_ms / 1000));
      Json out = EncodePrincipal(*app.policy, login->principal);
      out["expires_at"] = login->expires_at_ms;
      WriteJson(res, 200, out);
      return Status::Ok();
    });
  });

  server.Post("/v1/auth/logout", [&app](const httplib::Request& req, httplib::Response& res) {
    Authenticated(app, req, res, AuditAction::kAuthLogout, [&](Call& c) -> Status {
      audit::Entry entry = service::EntryFor(c.who, c.meta, AuditAction::kAuthLogout, "");
      if (c.who.via == "session") RETURN_IF_ERROR(app.auth->Logout(SessionCookie(req)));
      RETURN_IF_ERROR(app.audit->Record(entry).status());
      res.set_header("Set-Cookie", CookieHeader("", 0));
      res.status = 204;
      return Status::Ok();
    });
  });

  server.Get("/v1/auth/me", [&app](const httplib::Request& req, httplib::Response& res) {
    Authenticated(app, req, res, AuditAction::kAuthMe, [&](Call& c) -> Status {
      WriteJson(res, 200, EncodePrincipal(*app.policy, c.who));
      return Status::Ok();
    });
  });
}

}  // namespace vault::http
