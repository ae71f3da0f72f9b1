// AuditAction: what an audit entry says was done, named once. Each value's
// name ("customer.reveal", "admin.tokens.create") is what the audit log
// stores, the API returns and `GET /v1/audit?action=` filters on, so a name
// never changes once shipped; add new values at the end of the enum and the
// table (audit_action.cc), whose size a static_assert checks. Routes, services
// and the job threads pass the enum, so a misspelt action fails to compile.
// Thread-safe: constant data only.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace vault::audit {

enum class AuditAction {
  // Customer records (AccessService, RetentionJob, AccessRequest).
  kCustomerCreate,
  kCustomerSearch,
  kCustomerVerify,
  kCustomerRead,
  kCustomerReveal,
  kCustomerUpdate,
  kCustomerErase,
  kCustomerExport,
  kCustomerFindOrCreate,
  kCustomerBatch,
  kCustomerSeen,
  // Consent, marketing and retention (ConsentLedger, MarketingExport, RetentionJob).
  kConsentWrite,
  kConsentRead,
  kMarketingExport,
  kRetentionRun,
  // The audit log itself.
  kAuditRead,
  kAuditVerify,
  kAuditReceiptVerify,
  // Sign-in.
  kAuthLogin,
  kAuthLogout,
  kAuthMe,
  // Administration (AdminService).
  kAdminEmployeesList,
  kAdminEmployeesCreate,
  kAdminEmployeesUpdate,
  kAdminServiceAccountsList,
  kAdminServiceAccountsCreate,
  kAdminTokensList,
  kAdminTokensCreate,
  kAdminTokensRevoke,
  kAdminKeysList,
  kAdminKeysRotate,
  kAdminKeysRotation,
  kAdminKeysDestroy,
  // The key rotation job, when it finishes.
  kKeysRotationComplete,
};

inline constexpr size_t kAuditActionCount =
    static_cast<size_t>(AuditAction::kKeysRotationComplete) + 1;

// The stored name ("customer.search").
std::string_view AuditActionName(AuditAction action);
// nullopt for a name that is not in the table (exact match).
std::optional<AuditAction> ParseAuditAction(std::string_view name);

}  // namespace vault::audit
