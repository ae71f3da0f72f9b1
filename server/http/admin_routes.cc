// /v1/admin/… (employees, service accounts, tokens) and /v1/audit…: parse,
// call AdminService, encode. No customer data passes through here.
#include <cstdlib>

#include "crypto/util.h"
#include "http/routes.h"

namespace vault::http {
namespace {

Json EncodeEmployee(const store::EmployeeRow& e) {
  return {{"username", e.username},
          {"display_name", e.display_name},
          {"roles", auth::SplitRoles(e.roles)},
          {"active", e.active},
          {"has_password", e.password_hash.has_value()},
          {"created_at", e.created_at},
          {"updated_at", e.updated_at}};
}

Json EncodeService(const store::ServiceAccountRow& s) {
  return {{"name", s.name},
          {"roles", auth::SplitRoles(s.roles)},
          {"active", s.active},
          {"created_at", s.created_at}};
}

Json EncodeToken(const store::TokenRow& t) {
  Json out = {{"id", t.id},
              {"kind", t.principal_kind},
              {"description", t.description},
              {"created_at", t.created_at},
              {"expires_at", t.expires_at ? Json(*t.expires_at) : Json(nullptr)},
              {"revoked_at", t.revoked_at ? Json(*t.revoked_at) : Json(nullptr)}};
  return out;
}

Json EncodeAudit(const store::AuditRow& r) {
  return {{"seq", r.seq},
          {"time", r.time_ms},
          {"principal", r.principal},
          {"roles", r.roles},
          {"action", r.action},
          {"record_id", r.record_id},
          {"fields", r.fields},
          {"reason", r.reason},
          {"outcome", r.outcome},
          {"detail", r.detail},
          {"request_id", r.request_id},
          {"client", r.client},
          {"mac", crypto::HexEncode(r.mac)}};
}

StatusOr<std::optional<int64_t>> QueryInt(const Request& req, const char* name) {
  if (!req.has_param(name)) return std::optional<int64_t>();
  std::string v = req.get_param_value(name);
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 0) {
    return InvalidArgument(std::string(name) + " must be a non-negative integer", "invalid_query");
  }
  return std::optional<int64_t>(n);
}

Json EncodeProgress(const service::RotationProgress& p) {
  if (!p.exists) return {{"state", "none"}};
  Json out = {{"job_id", p.job_id},
              {"purpose", p.purpose},
              {"state", p.state},
              {"old_key_id", p.old_key_id},
              {"new_key_id", p.new_key_id},
              {"done", p.done},
              {"total", p.total},
              {"rate_per_second", p.rate_per_second},
              {"eta_seconds", p.eta_seconds},
              {"started_at", p.started_at_ms}};
  out["finished_at"] = p.finished_at_ms ? Json(*p.finished_at_ms) : Json(nullptr);
  return out;
}

}  // namespace

void RegisterAdminRoutes(Router& server, App& app) {
  const int depth = app.config.max_json_depth;

  server.Get("/v1/admin/employees", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminEmployeesList, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto rows, app.admin->ListEmployees(c.who, c.meta));
      Json out = Json::array();
      for (const auto& r : rows) out.push_back(EncodeEmployee(r));
      WriteJson(res, 200, {{"employees", out}});
      return Status::Ok();
    });
  });

  server.Post("/v1/admin/employees", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminEmployeesCreate, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"username", "display_name", "roles", "password"}));
      auth::NewEmployee e;
      ASSIGN_OR_RETURN(e.username, RequiredString(body, "username"));
      ASSIGN_OR_RETURN(auto display, OptionalString(body, "display_name"));
      e.display_name = display.value_or("");
      ASSIGN_OR_RETURN(auto roles, OptionalStringArray(body, "roles"));
      e.roles = roles.value_or(std::vector<std::string>{});
      ASSIGN_OR_RETURN(e.password, OptionalString(body, "password"));
      ASSIGN_OR_RETURN(auto row, app.admin->CreateEmployee(c.who, c.meta, e));
      WriteJson(res, 201, EncodeEmployee(row));
      return Status::Ok();
    });
  });

  server.Patch(R"(/v1/admin/employees/([^/]+))", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminEmployeesUpdate, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"display_name", "roles", "password", "active"}));
      auth::EmployeePatch patch;
      ASSIGN_OR_RETURN(patch.display_name, OptionalString(body, "display_name"));
      ASSIGN_OR_RETURN(patch.roles, OptionalStringArray(body, "roles"));
      ASSIGN_OR_RETURN(patch.password, OptionalString(body, "password"));
      ASSIGN_OR_RETURN(patch.active, OptionalBool(body, "active"));
      ASSIGN_OR_RETURN(auto row, app.admin->UpdateEmployee(c.who, c.meta, PathParam(req), patch));
      WriteJson(res, 200, EncodeEmployee(row));
      return Status::Ok();
    });
  });

  server.Get("/v1/admin/service-accounts", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminServiceAccountsList, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto rows, app.admin->ListServiceAccounts(c.who, c.meta));
      Json out = Json::array();
      for (const auto& r : rows) out.push_back(EncodeService(r));
      WriteJson(res, 200, {{"service_accounts", out}});
      return Status::Ok();
    });
  });

  server.Post("/v1/admin/service-accounts", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminServiceAccountsCreate, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"name", "roles"}));
      ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name"));
      ASSIGN_OR_RETURN(auto roles, OptionalStringArray(body, "roles"));
      ASSIGN_OR_RETURN(auto row,
                       app.admin->CreateServiceAccount(c.who, c.meta, name,
                                                       roles.value_or(std::vector<std::string>{})));
      WriteJson(res, 201, EncodeService(row));
      return Status::Ok();
    });
  });

  server.Get("/v1/admin/tokens", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminTokensList, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto rows, app.admin->ListTokens(c.who, c.meta));
      Json out = Json::array();
      for (const auto& r : rows) out.push_back(EncodeToken(r));
      WriteJson(res, 200, {{"tokens", out}});
      return Status::Ok();
    });
  });

  server.Post("/v1/admin/tokens", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminTokensCreate, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"kind", "name", "description", "expires_in_seconds"}));
      ASSIGN_OR_RETURN(std::string kind, RequiredString(body, "kind"));
      ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name"));
      ASSIGN_OR_RETURN(auto description, OptionalString(body, "description"));
      ASSIGN_OR_RETURN(auto expires_in, OptionalInt(body, "expires_in_seconds"));
      ASSIGN_OR_RETURN(auto issued, app.admin->IssueToken(c.who, c.meta, kind, name,
                                                          description.value_or(""), expires_in));
      Json out = EncodeToken(issued.row);
      out["token"] = issued.token;
      WriteJson(res, 201, out);
      return Status::Ok();
    });
  });

  server.Delete(R"(/v1/admin/tokens/([^/]+))", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminTokensRevoke, [&](Call& c) -> Status {
      RETURN_IF_ERROR(app.admin->RevokeToken(c.who, c.meta, PathParam(req)));
      res.status = 204;
      return Status::Ok();
    });
  });

  server.Get("/v1/audit", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAuditRead, [&](Call& c) -> Status {
      store::AuditQuery q;
      if (req.has_param("principal")) q.principal = req.get_param_value("principal");
      if (req.has_param("record")) q.record_id = req.get_param_value("record");
      if (req.has_param("action")) q.action = req.get_param_value("action");
      ASSIGN_OR_RETURN(q.since_ms, QueryInt(req, "since"));
      ASSIGN_OR_RETURN(q.until_ms, QueryInt(req, "until"));
      ASSIGN_OR_RETURN(auto cursor, QueryInt(req, "cursor"));
      ASSIGN_OR_RETURN(auto limit, QueryInt(req, "limit"));
      q.after_seq = cursor.value_or(0);
      q.limit = static_cast<int>(std::clamp<int64_t>(limit.value_or(100), 1, 1000));
      ASSIGN_OR_RETURN(auto rows, app.admin->QueryAudit(c.who, c.meta, q));
      Json entries = Json::array();
      for (const auto& r : rows) entries.push_back(EncodeAudit(r));
      Json out = {{"entries", entries}};
      out["next_cursor"] = static_cast<int>(rows.size()) == q.limit && !rows.empty()
                               ? Json(rows.back().seq)
                               : Json(nullptr);
      WriteJson(res, 200, out);
      return Status::Ok();
    });
  });

  server.Get("/v1/audit/verify", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAuditVerify, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto result, app.admin->VerifyAudit(c.who, c.meta));
      Json out = {{"entries", result.entries}, {"intact", result.intact}};
      if (result.intact) {
        out["message"] = std::to_string(result.entries) + " entries, chain intact";
      } else {
        out["first_broken_seq"] = result.first_broken_seq;
        out["problem"] = result.problem;
        out["message"] = "chain broken at entry " + std::to_string(result.first_broken_seq) + ": " +
                         result.problem;
      }
      WriteJson(res, 200, out);
      return Status::Ok();
    });
  });

  server.Get("/v1/admin/keys", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminKeysList, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto keys, app.admin->ListKeys(c.who, c.meta));
      Json out = Json::array();
      for (const auto& k : keys) {
        out.push_back({{"id", k.id},
                       {"purpose", k.purpose},
                       {"state", k.state},
                       {"created_at", k.created_at},
                       {"records", k.records},
                       {"audit_entries", k.audit_entries}});
      }
      WriteJson(res, 200, {{"keys", out}});
      return Status::Ok();
    });
  });

  server.Post("/v1/admin/keys/rotate", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminKeysRotate, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"purpose"}));
      ASSIGN_OR_RETURN(std::string purpose, RequiredString(body, "purpose"));
      ASSIGN_OR_RETURN(auto progress, app.admin->StartRotation(c.who, c.meta, purpose));
      WriteJson(res, 202, EncodeProgress(progress));
      return Status::Ok();
    });
  });

  server.Get("/v1/admin/keys/rotation", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminKeysRotation, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto progress, app.admin->RotationStatus(c.who, c.meta));
      WriteJson(res, 200, EncodeProgress(progress));
      return Status::Ok();
    });
  });

  server.Post(R"(/v1/admin/keys/(\d{1,9})/destroy)", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAdminKeysDestroy, [&](Call& c) -> Status {
      uint32_t id = static_cast<uint32_t>(std::stoul(PathParam(req)));
      RETURN_IF_ERROR(app.admin->DestroyKey(c.who, c.meta, id));
      res.status = 204;
      return Status::Ok();
    });
  });
}

}  // namespace vault::http
