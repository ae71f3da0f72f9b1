#include "service/admin_service.h"

namespace vault::service {

using policy::Action;

AdminService::AdminService(auth::AuthService& auth, const policy::Policy& policy,
                           audit::AuditLog& audit, store::Store& store)
    : auth_(auth), policy_(policy), audit_(audit), store_(store) {}

Status AdminService::Refuse(audit::Entry entry, const Status& failure) {
  entry.outcome = audit::OutcomeFor(failure);
  entry.detail = failure.reason();
  auto recorded = audit_.Record(entry);
  if (!recorded.ok()) return recorded.status();
  return failure;
}

Status AdminService::Authorize(const auth::Principal& who, const RequestMeta& meta, Action action,
                               std::string_view audit_action, std::string_view target) {
  if (policy_.Allows(who.roles, action)) return Status::Ok();
  return Refuse(EntryFor(who, meta, audit_action, target),
                PermissionDenied("your role may not " + std::string(audit_action), "forbidden"));
}

Status AdminService::RecordRead(const auth::Principal& who, const RequestMeta& meta,
                                std::string_view action, std::string_view detail) {
  audit::Entry e = EntryFor(who, meta, action, "");
  e.detail = std::string(detail);
  return audit_.Record(e).status();
}

StatusOr<std::vector<store::EmployeeRow>> AdminService::ListEmployees(const auth::Principal& who,
                                                                      const RequestMeta& meta) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminEmployees, "admin.employees.list", ""));
  ASSIGN_OR_RETURN(auto rows, auth_.ListEmployees());
  RETURN_IF_ERROR(
      RecordRead(who, meta, "admin.employees.list", "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<store::EmployeeRow> AdminService::CreateEmployee(const auth::Principal& who,
                                                          const RequestMeta& meta,
                                                          const auth::NewEmployee& employee) {
  RETURN_IF_ERROR(
      Authorize(who, meta, Action::kAdminEmployees, "admin.employees.create", employee.username));
  audit::Entry entry = EntryFor(who, meta, "admin.employees.create", employee.username);
  entry.detail = "roles=" + auth::JoinRoles(employee.roles);
  auto row = auth_.CreateEmployee(
      employee, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  if (!row.ok() && row.status().reason() != "audit_unavailable") {
    return Refuse(entry, row.status());
  }
  return row;
}

StatusOr<store::EmployeeRow> AdminService::UpdateEmployee(const auth::Principal& who,
                                                          const RequestMeta& meta,
                                                          std::string_view username,
                                                          const auth::EmployeePatch& patch) {
  RETURN_IF_ERROR(
      Authorize(who, meta, Action::kAdminEmployees, "admin.employees.update", username));
  audit::Entry entry = EntryFor(who, meta, "admin.employees.update", username);
  std::string detail;
  if (patch.roles) detail += "roles=" + auth::JoinRoles(*patch.roles) + " ";
  if (patch.active) detail += std::string("active=") + (*patch.active ? "true" : "false") + " ";
  if (patch.password) detail += "password=changed ";
  if (patch.display_name) detail += "display_name=changed ";
  if (!detail.empty()) detail.pop_back();
  entry.detail = detail;
  auto row = auth_.UpdateEmployee(
      username, patch, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  if (!row.ok() && row.status().reason() != "audit_unavailable") {
    return Refuse(entry, row.status());
  }
  return row;
}

StatusOr<std::vector<store::ServiceAccountRow>> AdminService::ListServiceAccounts(
    const auth::Principal& who, const RequestMeta& meta) {
  RETURN_IF_ERROR(
      Authorize(who, meta, Action::kAdminServiceAccounts, "admin.service_accounts.list", ""));
  ASSIGN_OR_RETURN(auto rows, auth_.ListServiceAccounts());
  RETURN_IF_ERROR(
      RecordRead(who, meta, "admin.service_accounts.list", "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<store::ServiceAccountRow> AdminService::CreateServiceAccount(
    const auth::Principal& who, const RequestMeta& meta, std::string_view name,
    const std::vector<std::string>& roles) {
  RETURN_IF_ERROR(
      Authorize(who, meta, Action::kAdminServiceAccounts, "admin.service_accounts.create", name));
  audit::Entry entry = EntryFor(who, meta, "admin.service_accounts.create", name);
  entry.detail = "roles=" + auth::JoinRoles(roles);
  auto row = auth_.CreateServiceAccount(
      name, roles, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  if (!row.ok() && row.status().reason() != "audit_unavailable") {
    return Refuse(entry, row.status());
  }
  return row;
}

StatusOr<std::vector<store::TokenRow>> AdminService::ListTokens(const auth::Principal& who,
                                                                const RequestMeta& meta) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminTokens, "admin.tokens.list", ""));
  ASSIGN_OR_RETURN(auto rows, auth_.ListTokens());
  RETURN_IF_ERROR(
      RecordRead(who, meta, "admin.tokens.list", "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<auth::IssuedToken> AdminService::IssueToken(const auth::Principal& who,
                                                     const RequestMeta& meta, std::string_view kind,
                                                     std::string_view name,
                                                     std::string_view description,
                                                     std::optional<int64_t> expires_at_ms) {
  std::string target = std::string(kind) + ":" + std::string(name);
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminTokens, "admin.tokens.create", target));
  audit::Entry entry = EntryFor(who, meta, "admin.tokens.create", target);
  auto issued = auth_.IssueToken(
      kind, name, description, expires_at_ms,
      [&](store::Database& db) -> Status { return audit_.Append(db, entry).status(); });
  if (!issued.ok() && issued.status().reason() != "audit_unavailable") {
    return Refuse(entry, issued.status());
  }
  return issued;
}

Status AdminService::RevokeToken(const auth::Principal& who, const RequestMeta& meta,
                                 std::string_view token_id) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminTokens, "admin.tokens.revoke", token_id));
  audit::Entry entry = EntryFor(who, meta, "admin.tokens.revoke", token_id);
  Status st = auth_.RevokeToken(
      token_id, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  if (!st.ok() && st.reason() != "audit_unavailable") return Refuse(entry, st);
  return st;
}

StatusOr<std::vector<store::AuditRow>> AdminService::QueryAudit(const auth::Principal& who,
                                                                const RequestMeta& meta,
                                                                const store::AuditQuery& query) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAuditRead, "audit.read", ""));
  std::vector<store::AuditRow> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(rows, store::QueryAudit(db, query));
    return Status::Ok();
  }));
  RETURN_IF_ERROR(RecordRead(who, meta, "audit.read", "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<audit::VerifyResult> AdminService::VerifyAudit(const auth::Principal& who,
                                                        const RequestMeta& meta) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAuditRead, "audit.verify", ""));
  ASSIGN_OR_RETURN(auto result, audit_.Verify());
  RETURN_IF_ERROR(RecordRead(
      who, meta, "audit.verify",
      result.intact ? "intact" : "broken_at=" + std::to_string(result.first_broken_seq)));
  return result;
}

namespace {
Status NoRotator() {
  return FailedPrecondition("key management is not available in this process", "keys_unavailable");
}
}  // namespace

StatusOr<std::vector<KeyInfo>> AdminService::ListKeys(const auth::Principal& who,
                                                      const RequestMeta& meta) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminKeys, "admin.keys.list", ""));
  if (rotator_ == nullptr) return NoRotator();
  ASSIGN_OR_RETURN(auto keys, rotator_->ListKeys());
  RETURN_IF_ERROR(RecordRead(who, meta, "admin.keys.list", "count=" + std::to_string(keys.size())));
  return keys;
}

StatusOr<RotationProgress> AdminService::StartRotation(const auth::Principal& who,
                                                       const RequestMeta& meta,
                                                       std::string_view purpose) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminKeys, "admin.keys.rotate", ""));
  if (rotator_ == nullptr) return NoRotator();
  audit::Entry entry = EntryFor(who, meta, "admin.keys.rotate", "");
  auto parsed = crypto::ParsePurpose(purpose);
  if (!parsed.ok() || *parsed == crypto::KeyPurpose::kAudit) {
    return Refuse(entry, InvalidArgument("purpose must be data or index", "purpose_invalid"));
  }
  auto progress = rotator_->Start(*parsed, entry);
  if (!progress.ok() && progress.status().reason() != "audit_unavailable") {
    return Refuse(entry, progress.status());
  }
  return progress;
}

StatusOr<RotationProgress> AdminService::RotationStatus(const auth::Principal& who,
                                                        const RequestMeta& meta) {
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminKeys, "admin.keys.rotation", ""));
  if (rotator_ == nullptr) return NoRotator();
  // Progress polls are frequent and reveal nothing: not audited one by one.
  return rotator_->Progress();
}

Status AdminService::DestroyKey(const auth::Principal& who, const RequestMeta& meta, uint32_t id) {
  std::string target = "key:" + std::to_string(id);
  RETURN_IF_ERROR(Authorize(who, meta, Action::kAdminKeys, "admin.keys.destroy", target));
  if (rotator_ == nullptr) return NoRotator();
  audit::Entry entry = EntryFor(who, meta, "admin.keys.destroy", target);
  Status st = rotator_->Destroy(id, entry);
  if (!st.ok() && st.reason() != "audit_unavailable") return Refuse(entry, st);
  return st;
}

}  // namespace vault::service
