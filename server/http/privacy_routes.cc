// The privacy routes: consent ledger, consented marketing export, last-seen
// marks, access-request export, retention runs and erasure-receipt checks.
// Parse, call ConsentLedger, MarketingExport, RetentionJob or AccessRequest,
// encode. PII arrives only in bodies and leaves
// only in no-store bodies; paths carry customer ids and purpose names only.
//
//   PUT  /v1/customers/{id}/consents/{purpose}  {granted, channel, notice_version}
//   GET  /v1/customers/{id}/consents            current state per purpose
//   POST /v1/customers/{id}/seen                a sale was attached (retention)
//   POST /v1/customers/{id}/export              {reason} -> access-request JSON
//   POST /v1/exports/marketing                  {purpose} -> text/csv
//   POST /v1/admin/retention/run                {dry_run} -> counts and reasons
//   POST /v1/audit/receipts/verify              an erasure receipt -> {valid}
#include "crypto/util.h"
#include "http/routes.h"

namespace vault::http {
namespace {

// A privacy service the App may lack (503 then).
template <typename Service>
StatusOr<Service*> Running(Service* service) {
  if (service == nullptr) {
    return Unavailable("the privacy service is not running", "privacy_unavailable");
  }
  return service;
}

Json TimeOrNull(bool set, int64_t ms) { return set ? Json(ms) : Json(nullptr); }

Json EncodeState(const service::ConsentState& s) {
  Json out = {{"granted", s.granted}, {"at", TimeOrNull(s.recorded, s.at_ms)}};
  out["channel"] = s.recorded ? Json(s.channel) : Json(nullptr);
  out["notice_version"] = s.recorded ? Json(s.notice_version) : Json(nullptr);
  return out;
}

Json EncodeStates(const std::vector<service::ConsentState>& states) {
  Json out = Json::object();
  for (const auto& s : states) out[s.purpose] = EncodeState(s);
  return out;
}

Json OptionalText(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

Json EncodeAccessExport(const service::AccessExport& e) {
  const service::Customer& c = e.customer;
  Json history = Json::array();
  for (const auto& r : e.consent_history) {
    history.push_back({{"purpose", r.purpose},
                       {"granted", r.granted},
                       {"at", r.time_ms},
                       {"channel", r.channel},
                       {"actor", r.actor},
                       {"notice_version", r.notice_version},
                       {"notice_hash", r.notice_hash},
                       {"audit_seq", r.audit_seq}});
  }
  Json accesses = Json::array();
  for (const auto& r : e.accesses) {
    accesses.push_back({{"seq", r.seq},
                        {"time", r.time_ms},
                        {"principal", r.principal},
                        {"roles", r.roles},
                        {"action", r.action},
                        {"fields", r.fields},
                        {"reason", r.reason},
                        {"outcome", r.outcome},
                        {"detail", r.detail}});
  }
  Json notices = Json::array();
  for (const auto& n : e.notices) notices.push_back({{"version", n.version}, {"hash", n.hash}});
  return {{"customer",
           {{"id", c.id},
            {"email", OptionalText(c.email)},
            {"phone", OptionalText(c.phone)},
            {"name", OptionalText(c.name)},
            {"created_at", c.created_at},
            {"updated_at", c.updated_at},
            {"last_seen_at", c.last_seen_at}}},
          {"consents", EncodeStates(e.consents)},
          {"consent_history", history},
          {"accesses", accesses},
          {"privacy_officer",
           {{"name", e.officer.name}, {"email", e.officer.email}, {"phone", e.officer.phone}}},
          {"notices", notices},
          {"generated_at", e.generated_at_ms}};
}

Json EncodeRetention(const service::RetentionReport& r, const service::PrivacyOptions& options) {
  Json with_consent = Json::object();
  for (const auto& [purpose, days] : options.days_with_consent) with_consent[purpose] = days;
  Json reasons = Json::object();
  for (const auto& [reason, n] : r.by_reason) reasons[reason] = n;
  return {{"dry_run", r.dry_run},
          {"ran_at", r.ran_at_ms},
          {"rules",
           {{"erase_after_days_unseen", r.erase_after_days_unseen},
            {"days_with_consent", with_consent},
            {"schedule_minutes", options.schedule_minutes}}},
          {"examined", r.examined},
          {"erasures", r.erased},
          {"kept_by_consent", r.kept_by_consent},
          {"by_reason", reasons}};
}

}  // namespace

void RegisterPrivacyRoutes(Router& server, App& app) {
  const int depth = app.config.max_json_depth;

  server.Put(R"(/v1/customers/([^/]+)/consents/([^/]+))", [&app, depth](const Request& req,
                                                                        Response& res) {
    Authenticated(app, req, res, AuditAction::kConsentWrite, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto* consents, Running(app.consents));
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"granted", "channel", "notice_version"}));
      service::ConsentChange change;
      change.purpose = PathParam(req, 2);
      ASSIGN_OR_RETURN(auto granted, OptionalBool(body, "granted"));
      if (!granted) {
        return InvalidArgument("\"granted\" is required", "missing_field");
      }
      change.granted = *granted;
      ASSIGN_OR_RETURN(change.channel, RequiredString(body, "channel"));
      ASSIGN_OR_RETURN(change.notice_version, RequiredString(body, "notice_version"));
      ASSIGN_OR_RETURN(auto state, consents->Set(c.who, c.meta, PathParam(req, 1), change));
      Json out = EncodeState(state);
      out["id"] = PathParam(req, 1);
      out["purpose"] = state.purpose;
      WriteJson(res, 200, out);
      return Status::Ok();
    });
  });

  server.Get(R"(/v1/customers/([^/]+)/consents)", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kConsentRead, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto* consents, Running(app.consents));
      ASSIGN_OR_RETURN(auto states, consents->Current(c.who, c.meta, PathParam(req, 1)));
      WriteJson(res, 200, {{"id", PathParam(req, 1)}, {"consents", EncodeStates(states)}});
      return Status::Ok();
    });
  });

  server.Post(R"(/v1/customers/([^/]+)/seen)", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerSeen, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto* retention, Running(app.retention));
      if (!req.body.empty()) {  // no body, or an empty object
        ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
        RETURN_IF_ERROR(OnlyMembers(body, {}));
      }
      RETURN_IF_ERROR(retention->MarkSeen(c.who, c.meta, PathParam(req, 1)));
      res.status = 204;
      return Status::Ok();
    });
  });

  server.Post(R"(/v1/customers/([^/]+)/export)", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerExport, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto* access_requests, Running(app.access_requests));
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"reason"}));
      ASSIGN_OR_RETURN(auto reason, OptionalString(body, "reason"));
      ASSIGN_OR_RETURN(auto exported, access_requests->Export(c.who, c.meta, PathParam(req, 1),
                                                              reason.value_or("")));
      WriteJson(res, 200, EncodeAccessExport(exported));
      service::WipeCustomer(exported.customer);
      return Status::Ok();
    });
  });

  server.Post("/v1/exports/marketing", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kMarketingExport, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto* marketing, Running(app.marketing));
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"purpose"}));
      ASSIGN_OR_RETURN(std::string purpose, RequiredString(body, "purpose"));
      ASSIGN_OR_RETURN(auto exported, marketing->Export(c.who, c.meta, purpose));
      res.status = 200;
      res.set_header("Content-Disposition",
                     "attachment; filename=\"" + exported.purpose + ".csv\"");
      res.set_header("X-Row-Count", std::to_string(exported.rows));
      res.set_content(exported.csv, "text/csv; charset=utf-8");
      crypto::WipeString(exported.csv);
      return Status::Ok();
    });
  });

  server.Post("/v1/admin/retention/run", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kRetentionRun, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto* retention, Running(app.retention));
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"dry_run"}));
      ASSIGN_OR_RETURN(auto dry_run, OptionalBool(body, "dry_run"));
      if (!dry_run) {
        return InvalidArgument("say \"dry_run\": true or false", "missing_field");
      }
      ASSIGN_OR_RETURN(auto report, retention->Run(c.who, c.meta, *dry_run));
      WriteJson(res, 200, EncodeRetention(report, retention->options()));
      return Status::Ok();
    });
  });

  server.Post("/v1/audit/receipts/verify", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kAuditReceiptVerify, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto* access_requests, Running(app.access_requests));
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"id", "erased_at", "actor", "audit_seq", "audit_mac"}));
      service::ReceiptClaim claim;
      ASSIGN_OR_RETURN(claim.id, RequiredString(body, "id"));
      ASSIGN_OR_RETURN(claim.actor, RequiredString(body, "actor"));
      ASSIGN_OR_RETURN(claim.audit_mac_hex, RequiredString(body, "audit_mac"));
      ASSIGN_OR_RETURN(auto erased_at, OptionalInt(body, "erased_at"));
      ASSIGN_OR_RETURN(auto seq, OptionalInt(body, "audit_seq"));
      if (!erased_at || !seq) {
        return InvalidArgument("a receipt has \"erased_at\" and \"audit_seq\" integers",
                               "missing_field");
      }
      claim.erased_at_ms = *erased_at;
      claim.audit_seq = *seq;
      ASSIGN_OR_RETURN(auto check, access_requests->VerifyReceipt(c.who, c.meta, claim));
      Json out = {{"valid", check.valid}};
      if (!check.valid) out["problem"] = check.problem;
      WriteJson(res, 200, out);
      return Status::Ok();
    });
  });
}

}  // namespace vault::http
