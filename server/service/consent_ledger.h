// ConsentLedger: per customer and purpose an append-only history of grants
// and withdrawals (channel, actor, notice version and its hash); the current
// state is the newest entry, and a purpose never recorded counts as not
// granted. Nothing is shared for a purpose without a current grant
// (MarketingExport reads this ledger).
//
// Each call checks the policy and records one audit entry, refusals too;
// a change and its entry commit in one transaction, or neither does; it fails
// closed if the audit cannot be written. Rows hold ids and names of purposes
// and channels only, never PII. Thread-safe: no state of its own beyond the
// options.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "common/status.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/audit_guard.h"
#include "service/privacy_options.h"
#include "store/store.h"

namespace vault::service {

// What a caller states to record consent.
struct ConsentChange {
  std::string purpose;
  bool granted = false;
  std::string channel;         // web, pos, import, staff
  std::string notice_version;  // one of the configured notices
};

class ConsentLedger {
 public:
  // `store`, `policy` and `audit` must outlive the ledger.
  ConsentLedger(store::Store& store, const policy::Policy& policy, audit::AuditLog& audit,
                PrivacyOptions options);
  ConsentLedger(const ConsentLedger&) = delete;
  ConsentLedger& operator=(const ConsentLedger&) = delete;

  // consent.write. InvalidArgument for an unknown purpose ("purpose_unknown"),
  // channel ("channel_invalid") or notice version ("notice_unknown");
  // NotFound for an unknown customer. Appends one ledger row and its audit
  // entry in one transaction; returns the new current state.
  StatusOr<ConsentState> Set(const auth::Principal& who, const RequestMeta& meta,
                             std::string_view id, const ConsentChange& change);

  // customer.read, audited as consent.read. Every configured purpose, in
  // configuration order. NotFound for an unknown customer.
  StatusOr<std::vector<ConsentState>> Current(const auth::Principal& who, const RequestMeta& meta,
                                              std::string_view id);

 private:
  store::Store& store_;
  audit::AuditLog& audit_;
  const PrivacyOptions options_;
  const AuditGuard guard_;  // kPrivacyRefusals
};

}  // namespace vault::service
