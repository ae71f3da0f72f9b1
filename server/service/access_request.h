// AccessRequest: a customer's rights over what the vault did with their
// data. Export answers an access request: everything held about one
// customer, in plaintext, with the consent history and every audit entry
// about them (who looked, when, why), the privacy officer's contact and the
// notice versions. VerifyReceipt checks an erasure receipt from
// DELETE /v1/customers/{id} against the audit chain (AuditLog::CheckReceipt).
//
// Each call checks the policy and records one audit entry, refusals too, and
// fails closed if it cannot be written; an export's entry is durable before
// any plaintext leaves, so the export lists itself. Thread-safe: no state of
// its own beyond the options.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "common/status.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/audit_guard.h"
#include "service/customer_service.h"
#include "service/privacy_options.h"
#include "store/audit_tables.h"
#include "store/privacy_tables.h"
#include "store/store.h"

namespace vault::service {

struct AccessExport {
  Customer customer;  // plaintext; the caller wipes it (WipeCustomer)
  std::vector<ConsentState> consents;
  std::vector<store::ConsentRow> consent_history;
  std::vector<store::AuditRow> accesses;  // every entry with record_id = id
  PrivacyOfficer officer;
  std::vector<NoticeVersion> notices;
  int64_t generated_at_ms = 0;
};

// An erasure receipt as DELETE /v1/customers/{id} returned it.
struct ReceiptClaim {
  std::string id;
  int64_t erased_at_ms = 0;
  std::string actor;
  int64_t audit_seq = 0;
  std::string audit_mac_hex;
};

struct ReceiptCheck {
  bool valid = false;
  std::string problem;  // why not, when !valid
};

class AccessRequest {
 public:
  // Every reference must outlive the service.
  AccessRequest(CustomerService& customers, store::Store& store, const policy::Policy& policy,
                audit::AuditLog& audit, PrivacyOptions options);
  AccessRequest(const AccessRequest&) = delete;
  AccessRequest& operator=(const AccessRequest&) = delete;

  // customer.export, and plaintext access to every field (an access request
  // answered in part would mislead): PermissionDenied otherwise.
  // InvalidArgument "reason_required"; NotFound for an unknown customer.
  StatusOr<AccessExport> Export(const auth::Principal& who, const RequestMeta& meta,
                                std::string_view id, std::string_view reason);

  // audit.read, audited as audit.receipt_verify with outcome valid or
  // invalid. Whether the receipt names a successful customer.erase entry of
  // that customer by that actor at that time, whose MAC it carries, in an
  // intact chain.
  StatusOr<ReceiptCheck> VerifyReceipt(const auth::Principal& who, const RequestMeta& meta,
                                       const ReceiptClaim& receipt);

 private:
  CustomerService& customers_;
  store::Store& store_;
  const policy::Policy& policy_;
  audit::AuditLog& audit_;
  const PrivacyOptions options_;
  const AuditGuard guard_;  // kPrivacyRefusals
};

}  // namespace vault::service
