// MarketingExport: the consented export, the only call that returns
// plaintext in bulk. It carries exactly the customers whose consent to the
// purpose is currently granted (ConsentLedger), and only the contact field
// that purpose is about (email for marketing_email, phone for marketing_sms,
// as privacy.export_fields says); the name only where the caller's role sees
// names at `plaintext` anyway. Never the other contact field.
//
// Each call checks the policy (marketing.export) and records one audit entry
// (purpose, row count), refusals too; the entry is durable before the CSV is
// returned, and the CSV is wiped if it cannot be. Thread-safe: no state of
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
#include "store/store.h"

namespace vault::service {

// One export, as CSV (RFC 4180, CRLF; a name that a spreadsheet would run as
// a formula starts with an apostrophe). The caller wipes `csv` when done.
struct MarketingCsv {
  std::string purpose;
  std::vector<std::string> columns;  // "id", then the field, then "name" if allowed
  std::string csv;                   // header line, then one line per customer
  int64_t rows = 0;
};

class MarketingExport {
 public:
  // Every reference must outlive the export.
  MarketingExport(CustomerService& customers, store::Store& store, const policy::Policy& policy,
                  audit::AuditLog& audit, PrivacyOptions options);
  MarketingExport(const MarketingExport&) = delete;
  MarketingExport& operator=(const MarketingExport&) = delete;

  // marketing.export. InvalidArgument "purpose_unknown" or
  // "purpose_not_exportable". Customers erased while it runs are left out.
  StatusOr<MarketingCsv> Export(const auth::Principal& who, const RequestMeta& meta,
                                std::string_view purpose);

 private:
  CustomerService& customers_;
  store::Store& store_;
  const policy::Policy& policy_;
  audit::AuditLog& audit_;
  const PrivacyOptions options_;
  const AuditGuard guard_;  // kPrivacyRefusals
};

}  // namespace vault::service
