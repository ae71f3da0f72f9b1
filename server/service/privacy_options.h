// What the four privacy services (ConsentLedger, MarketingExport,
// RetentionJob, AccessRequest) share: the [privacy] and [retention] settings,
// the current consent state of a customer as they all report it, and the one
// way they record an audited refusal (AuditGuard, kPrivacyRefusals).
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "common/config.h"
#include "common/status.h"
#include "policy/policy.h"
#include "service/audit_guard.h"
#include "service/customer_service.h"
#include "store/privacy_tables.h"

namespace vault::service {

struct NoticeVersion {
  std::string version;  // "notice-2026-11"
  std::string hash;     // SHA-256 of its text, 64 hex digits
};

struct PrivacyOfficer {
  std::string name, email, phone;
};

struct PrivacyOptions {
  PrivacyOfficer officer;
  std::vector<std::string> purposes;
  std::vector<NoticeVersion> notices;
  std::map<std::string, ContactField> export_fields;  // purpose -> field
  int64_t erase_after_days_unseen = 0;                // 0: never
  std::map<std::string, int64_t> days_with_consent;   // purpose -> days
  int schedule_minutes = 0;                           // 0: on demand only

  // From the [privacy] and [retention] sections (already validated).
  static PrivacyOptions FromConfig(const Config& config);

  // Whether `purpose` is one of `purposes`.
  bool KnownPurpose(std::string_view purpose) const;
  // The configured notice of that version, or nullptr.
  const NoticeVersion* FindNotice(std::string_view version) const;
};

// The current state of one purpose for one customer. `recorded` is false
// when the ledger holds nothing for it (which counts as not granted).
struct ConsentState {
  std::string purpose;
  bool granted = false;
  bool recorded = false;
  int64_t at_ms = 0;
  std::string channel;
  std::string notice_version;
};

// Every configured purpose, in configuration order, from the newest ledger
// row per purpose (store::CurrentConsents).
std::vector<ConsentState> ConsentStates(const PrivacyOptions& options,
                                        const std::vector<store::ConsentRow>& current);

// How the privacy services write a refusal (AuditGuard): durable before the
// answer, the entry's detail kept and " error=<reason>" appended, the message
// naming the missing policy grant.
inline constexpr RefusalStyle kPrivacyRefusals{
    store::Durability::kDurable, RefusalDetail::kAppendReason, RefusalNames::kPermission};

}  // namespace vault::service
