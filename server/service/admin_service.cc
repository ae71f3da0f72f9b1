#include "service/admin_service.h"

namespace vault::service {

using audit::AuditAction;
using policy::Action;

namespace {
constexpr int64_t kMaxTokenLifetimeS = 10LL * 365 * 24 * 3600;
}  // namespace

AdminService::AdminService(auth::AuthService& auth, const policy::Policy& policy,
                           audit::AuditLog& audit, store::Store& store, Clock clock)
    : auth_(auth),
      policy_(policy),
      audit_(audit),
      store_(store),
      clock_(std::move(clock)),
      guard_(audit, policy,
             {store::Durability::kDurable, RefusalDetail::kReason, RefusalNames::kAuditAction}) {}

Status AdminService::RecordRead(audit::Entry entry, std::string detail) {
  entry.detail = std::move(detail);
  return audit_.Record(entry).status();
}

StatusOr<std::vector<store::EmployeeRow>> AdminService::ListEmployees(const auth::Principal& who,
                                                                      const RequestMeta& meta) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminEmployeesList, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminEmployees, entry));
  ASSIGN_OR_RETURN(auto rows, auth_.ListEmployees());
  RETURN_IF_ERROR(RecordRead(entry, "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<store::EmployeeRow> AdminService::CreateEmployee(const auth::Principal& who,
                                                          const RequestMeta& meta,
                                                          const auth::NewEmployee& employee) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminEmployeesCreate, employee.username);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminEmployees, entry));
  entry.detail = "roles=" + auth::JoinRoles(employee.roles);
  auto row = auth_.CreateEmployee(
      employee, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  if (!row.ok()) return guard_.RefuseChange(entry, row.status());
  return row;
}

StatusOr<store::EmployeeRow> AdminService::UpdateEmployee(const auth::Principal& who,
                                                          const RequestMeta& meta,
                                                          std::string_view username,
                                                          const auth::EmployeePatch& patch) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminEmployeesUpdate, username);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminEmployees, entry));
  std::string detail;
  if (patch.roles) detail += "roles=" + auth::JoinRoles(*patch.roles) + " ";
  if (patch.active) detail += std::string("active=") + (*patch.active ? "true" : "false") + " ";
  if (patch.password) detail += "password=changed ";
  if (patch.display_name) detail += "display_name=changed ";
  if (!detail.empty()) detail.pop_back();
  entry.detail = detail;
  auto row = auth_.UpdateEmployee(
      username, patch, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  if (!row.ok()) return guard_.RefuseChange(entry, row.status());
  return row;
}

StatusOr<std::vector<store::ServiceAccountRow>> AdminService::ListServiceAccounts(
    const auth::Principal& who, const RequestMeta& meta) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminServiceAccountsList, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminServiceAccounts, entry));
  ASSIGN_OR_RETURN(auto rows, auth_.ListServiceAccounts());
  RETURN_IF_ERROR(RecordRead(entry, "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<store::ServiceAccountRow> AdminService::CreateServiceAccount(
    const auth::Principal& who, const RequestMeta& meta, std::string_view name,
    const std::vector<std::string>& roles) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminServiceAccountsCreate, name);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminServiceAccounts, entry));
  entry.detail = "roles=" + auth::JoinRoles(roles);
  auto row = auth_.CreateServiceAccount(
      name, roles, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  if (!row.ok()) return guard_.RefuseChange(entry, row.status());
  return row;
}

StatusOr<std::vector<store::TokenRow>> AdminService::ListTokens(const auth::Principal& who,
                                                                const RequestMeta& meta) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminTokensList, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminTokens, entry));
  ASSIGN_OR_RETURN(auto rows, auth_.ListTokens());
  RETURN_IF_ERROR(RecordRead(entry, "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<auth::IssuedToken> AdminService::IssueToken(const auth::Principal& who,
                                                     const RequestMeta& meta, std::string_view kind,
                                                     std::string_view name,
                                                     std::string_view description,
                                                     std::optional<int64_t> expires_in_s) {
  std::optional<int64_t> expires_at_ms;
  if (expires_in_s) {
    if (*expires_in_s <= 0 || *expires_in_s > kMaxTokenLifetimeS) {
      return InvalidArgument("expires_in_seconds must be from 1 to 10 years", "expiry_invalid");
    }
    expires_at_ms = clock_() + *expires_in_s * 1000;
  }
  std::string target = std::string(kind) + ":" + std::string(name);
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminTokensCreate, target);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminTokens, entry));
  auto issued = auth_.IssueToken(
      kind, name, description, expires_at_ms,
      [&](store::Database& db) -> Status { return audit_.Append(db, entry).status(); });
  if (!issued.ok()) return guard_.RefuseChange(entry, issued.status());
  return issued;
}

Status AdminService::RevokeToken(const auth::Principal& who, const RequestMeta& meta,
                                 std::string_view token_id) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminTokensRevoke, token_id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminTokens, entry));
  Status st = auth_.RevokeToken(
      token_id, [&](store::Database& db) { return audit_.Append(db, entry).status(); });
  return guard_.RefuseChange(entry, st);
}

StatusOr<std::vector<store::AuditRow>> AdminService::QueryAudit(const auth::Principal& who,
                                                                const RequestMeta& meta,
                                                                const store::AuditQuery& query) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAuditRead, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAuditRead, entry));
  std::vector<store::AuditRow> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(rows, store::QueryAudit(db, query));
    return Status::Ok();
  }));
  RETURN_IF_ERROR(RecordRead(entry, "count=" + std::to_string(rows.size())));
  return rows;
}

StatusOr<audit::VerifyResult> AdminService::VerifyAudit(const auth::Principal& who,
                                                        const RequestMeta& meta) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAuditVerify, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAuditRead, entry));
  ASSIGN_OR_RETURN(auto result, audit_.Verify());
  RETURN_IF_ERROR(RecordRead(
      entry, result.intact ? "intact" : "broken_at=" + std::to_string(result.first_broken_seq)));
  return result;
}

namespace {
Status NoRotator() {
  return FailedPrecondition("key management is not available in this process", "keys_unavailable");
}
}  // namespace

StatusOr<std::vector<KeyInfo>> AdminService::ListKeys(const auth::Principal& who,
                                                      const RequestMeta& meta) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminKeysList, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminKeys, entry));
  if (rotator_ == nullptr) return NoRotator();
  ASSIGN_OR_RETURN(auto keys, rotator_->ListKeys());
  RETURN_IF_ERROR(RecordRead(entry, "count=" + std::to_string(keys.size())));
  return keys;
}

StatusOr<RotationProgress> AdminService::StartRotation(const auth::Principal& who,
                                                       const RequestMeta& meta,
                                                       std::string_view purpose) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminKeysRotate, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminKeys, entry));
  if (rotator_ == nullptr) return NoRotator();
  auto parsed = crypto::ParsePurpose(purpose);
  if (!parsed.ok() || *parsed == crypto::KeyPurpose::kAudit) {
    return guard_.Refuse(entry,
                         InvalidArgument("purpose must be data or index", "purpose_invalid"));
  }
  auto progress = rotator_->Start(*parsed, entry);
  if (!progress.ok()) return guard_.RefuseChange(entry, progress.status());
  return progress;
}

StatusOr<RotationProgress> AdminService::RotationStatus(const auth::Principal& who,
                                                        const RequestMeta& meta) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminKeysRotation, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminKeys, entry));
  if (rotator_ == nullptr) return NoRotator();
  // Progress polls are frequent and reveal nothing: not audited one by one.
  return rotator_->Progress();
}

Status AdminService::DestroyKey(const auth::Principal& who, const RequestMeta& meta, uint32_t id) {
  std::string target = "key:" + std::to_string(id);
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAdminKeysDestroy, target);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAdminKeys, entry));
  if (rotator_ == nullptr) return NoRotator();
  Status st = rotator_->Destroy(id, entry);
  return guard_.RefuseChange(entry, st);
}

}  // namespace vault::service
