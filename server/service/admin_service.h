// AdminService: employees, service accounts, API tokens and the audit log, as
// a principal may manage them. Checks the policy's admin.* and audit.read
// actions and records one audit entry per call, in the same transaction as
// the change. Admins never see customer data through any of these calls.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "auth/principal.h"
#include "common/clock.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/audit_guard.h"
#include "service/key_rotation.h"
#include "store/audit_tables.h"

namespace vault::service {

class AdminService {
 public:
  AdminService(auth::AuthService& auth, const policy::Policy& policy, audit::AuditLog& audit,
               store::Store& store, Clock clock = SystemClock());

  StatusOr<std::vector<store::EmployeeRow>> ListEmployees(const auth::Principal& who,
                                                          const RequestMeta& meta);
  StatusOr<store::EmployeeRow> CreateEmployee(const auth::Principal& who, const RequestMeta& meta,
                                              const auth::NewEmployee& employee);
  StatusOr<store::EmployeeRow> UpdateEmployee(const auth::Principal& who, const RequestMeta& meta,
                                              std::string_view username,
                                              const auth::EmployeePatch& patch);

  StatusOr<std::vector<store::ServiceAccountRow>> ListServiceAccounts(const auth::Principal& who,
                                                                      const RequestMeta& meta);
  StatusOr<store::ServiceAccountRow> CreateServiceAccount(const auth::Principal& who,
                                                          const RequestMeta& meta,
                                                          std::string_view name,
                                                          const std::vector<std::string>& roles);

  StatusOr<std::vector<store::TokenRow>> ListTokens(const auth::Principal& who,
                                                    const RequestMeta& meta);
  // A token that expires `expires_in_s` seconds from now (on this service's
  // clock), or never. InvalidArgument("expiry_invalid") unless from 1 s to
  // 10 years; checked first, as the request's shape, and not audited.
  StatusOr<auth::IssuedToken> IssueToken(const auth::Principal& who, const RequestMeta& meta,
                                         std::string_view kind, std::string_view name,
                                         std::string_view description,
                                         std::optional<int64_t> expires_in_s);
  Status RevokeToken(const auth::Principal& who, const RequestMeta& meta,
                     std::string_view token_id);

  StatusOr<std::vector<store::AuditRow>> QueryAudit(const auth::Principal& who,
                                                    const RequestMeta& meta,
                                                    const store::AuditQuery& query);
  StatusOr<audit::VerifyResult> VerifyAudit(const auth::Principal& who, const RequestMeta& meta);

  // Keys (admin.keys). FailedPrecondition("keys_unavailable") until a
  // KeyRotator is attached.
  void set_key_rotator(KeyRotator* rotator) { rotator_ = rotator; }
  StatusOr<std::vector<KeyInfo>> ListKeys(const auth::Principal& who, const RequestMeta& meta);
  StatusOr<RotationProgress> StartRotation(const auth::Principal& who, const RequestMeta& meta,
                                           std::string_view purpose);
  StatusOr<RotationProgress> RotationStatus(const auth::Principal& who, const RequestMeta& meta);
  Status DestroyKey(const auth::Principal& who, const RequestMeta& meta, uint32_t id);

 private:
  // Records a read-only admin action (a listing) with `detail`, durable
  // before returning.
  Status RecordRead(audit::Entry entry, std::string detail);

  auth::AuthService& auth_;
  const policy::Policy& policy_;
  audit::AuditLog& audit_;
  store::Store& store_;
  Clock clock_;
  // Refusals are fsynced; the message names the admin action refused.
  AuditGuard guard_;
  KeyRotator* rotator_ = nullptr;
};

}  // namespace vault::service
