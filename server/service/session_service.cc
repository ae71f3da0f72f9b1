#include "service/session_service.h"

namespace vault::service {

using audit::AuditAction;

SessionService::SessionService(auth::AuthService& auth, const policy::Policy& policy,
                               audit::AuditLog& audit)
    : auth_(auth), policy_(policy), audit_(audit) {}

StatusOr<auth::LoginResult> SessionService::Login(std::string_view username,
                                                  std::string_view password,
                                                  const RequestMeta& meta) {
  audit::Entry entry(AuditAction::kAuthLogin);
  entry.principal = "employee:" + std::string(username.substr(0, 64));
  entry.request_id = meta.request_id;
  entry.client = meta.client;
  auto login = auth_.Login(username, password, meta.client);
  if (!login.ok()) {
    entry.outcome = audit::OutcomeFor(login.status());
    entry.detail = login.status().reason();
    RETURN_IF_ERROR(audit_.Record(entry).status());
    return login.status();
  }
  entry.roles = login->principal.RolesString();
  RETURN_IF_ERROR(audit_.Record(entry).status());
  return login;
}

Status SessionService::Logout(const auth::Principal& who, const RequestMeta& meta,
                              std::string_view session) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAuthLogout, "");
  if (who.via == "session") RETURN_IF_ERROR(auth_.Logout(session));
  return audit_.Record(entry).status();
}

PrincipalView SessionService::Describe(const auth::Principal& who) const {
  PrincipalView view;
  view.principal = who;
  for (policy::Field f : policy::kAllFields) {
    view.fields.emplace_back(f, policy_.FieldLevel(who.roles, f));
  }
  for (policy::Action a : policy::kAllActions) {
    if (policy_.Allows(who.roles, a)) view.actions.push_back(a);
  }
  view.reveal_quota_per_hour = policy_.RevealQuotaPerHour(who.roles);
  return view;
}

}  // namespace vault::service
