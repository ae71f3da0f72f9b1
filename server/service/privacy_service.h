// PrivacyService: the privacy promises made to customers, each as a feature
// that holds by construction.
//
//  - Consent ledger: per customer and purpose an append-only history of
//    grants and withdrawals (channel, actor, notice version and hash); the
//    current state is the newest entry. Nothing is shared without a grant.
//  - Consented export: the marketing export carries exactly the customers
//    whose consent to the purpose is currently granted, and only the contact
//    field that purpose is about (email for marketing_email, phone for
//    marketing_sms); the name only where the caller's role sees names at
//    `plaintext`. The only route that returns plaintext in bulk.
//  - Retention: customers unseen for longer than the configured rule are
//    erased (crypto-shredded, each erasure audited like a manual one), by a
//    scheduled job inside the server and on demand; a dry run counts what a
//    run would erase, and why.
//  - Erasure receipts: a receipt from DELETE /v1/customers/{id} checks out
//    against the audit chain, or does not.
//  - Access requests: everything held about one customer, in plaintext, with
//    the consent history and every audit entry about them (who looked, when,
//    why), the privacy officer's contact and the notice versions.
//
// Every call checks the policy, records one audit entry (refusals too), and
// fails closed if the audit cannot be written. Plaintext leaves only after
// its entry is durable. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/status.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/audit_guard.h"
#include "service/customer_service.h"
#include "store/audit_tables.h"
#include "store/privacy_tables.h"
#include "store/store.h"

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
};

// What a caller states to record consent.
struct ConsentChange {
  std::string purpose;
  bool granted = false;
  std::string channel;         // web, pos, import, staff
  std::string notice_version;  // one of the configured notices
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

struct MarketingExport {
  std::string purpose;
  std::vector<std::string> columns;  // "id", then the field, then "name" if allowed
  std::string csv;                   // header line, then one line per customer
  int64_t rows = 0;
};

struct AccessExport {
  Customer customer;  // plaintext
  std::vector<ConsentState> consents;
  std::vector<store::ConsentRow> consent_history;
  std::vector<store::AuditRow> accesses;  // every entry with record_id = id
  PrivacyOfficer officer;
  std::vector<NoticeVersion> notices;
  int64_t generated_at_ms = 0;
};

struct RetentionReport {
  bool dry_run = true;
  int64_t ran_at_ms = 0;
  int64_t erase_after_days_unseen = 0;  // 0: the rule is off
  int64_t examined = 0;                 // customers past the global rule
  int64_t erased = 0;                   // or, for a dry run, would be
  int64_t kept_by_consent = 0;          // past the global rule, kept by consent
  // Why each one goes: "unseen_over_730_days" -> count.
  std::map<std::string, int64_t> by_reason;
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

class PrivacyService {
 public:
  PrivacyService(CustomerService& customers, store::Store& store, const policy::Policy& policy,
                 audit::AuditLog& audit, PrivacyOptions options, Clock clock = SystemClock());
  ~PrivacyService();  // stops the scheduled job
  PrivacyService(const PrivacyService&) = delete;
  PrivacyService& operator=(const PrivacyService&) = delete;

  // consent.write. InvalidArgument for an unknown purpose ("purpose_unknown"),
  // channel ("channel_invalid") or notice version ("notice_unknown");
  // NotFound for an unknown customer. Appends one ledger row and its audit
  // entry in one transaction; returns the new current state.
  StatusOr<ConsentState> SetConsent(const auth::Principal& who, const RequestMeta& meta,
                                    std::string_view id, const ConsentChange& change);

  // customer.read. Every configured purpose, in configuration order.
  StatusOr<std::vector<ConsentState>> Consents(const auth::Principal& who, const RequestMeta& meta,
                                               std::string_view id);

  // marketing.export. InvalidArgument "purpose_unknown" or
  // "purpose_not_exportable". The entry (purpose, row count) is durable
  // before the CSV is returned.
  StatusOr<MarketingExport> ExportMarketing(const auth::Principal& who, const RequestMeta& meta,
                                            std::string_view purpose);

  // customer.read. A sale was attached to the customer: moves last_seen to
  // now, so retention keeps them. NotFound for an unknown customer.
  Status MarkSeen(const auth::Principal& who, const RequestMeta& meta, std::string_view id);

  // customer.export, and plaintext access to every field (an access request
  // answered in part would mislead). InvalidArgument "reason_required".
  StatusOr<AccessExport> ExportCustomer(const auth::Principal& who, const RequestMeta& meta,
                                        std::string_view id, std::string_view reason);

  // customer.erase (a run erases customers). Plans and, unless `dry_run`,
  // erases: each erasure in its own transaction with its own customer.erase
  // entry (reason names the rule), re-checking last_seen inside it, so a
  // customer seen meanwhile is kept. Then truncates the WAL. A summary
  // entry "retention.run" follows.
  StatusOr<RetentionReport> RunRetention(const auth::Principal& who, const RequestMeta& meta,
                                         bool dry_run);
  // The scheduled job's run, as principal "system:retention".
  StatusOr<RetentionReport> RunScheduledRetention();

  // audit.read. Whether the receipt names a successful customer.erase entry
  // of that customer by that actor at that time, whose MAC it carries, in an
  // intact chain.
  StatusOr<ReceiptCheck> VerifyReceipt(const auth::Principal& who, const RequestMeta& meta,
                                       const ReceiptClaim& receipt);

  // Runs RunScheduledRetention now and then every schedule_minutes on a
  // thread of its own, until StopSchedule (or destruction). No-op when
  // schedule_minutes is 0 or the rule is off.
  void StartSchedule();
  void StopSchedule();
  // Scheduled runs completed so far (for tests and metrics).
  int64_t scheduled_runs() const;
  // Blocks until at least `n` scheduled runs completed or `timeout` passed;
  // returns whether they did.
  bool WaitForScheduledRuns(int64_t n, std::chrono::milliseconds timeout);

  // Truncates the WAL so no page of an erased record survives in it.
  Status ScrubWal();

  const PrivacyOptions& options() const { return options_; }

 private:
  StatusOr<RetentionReport> Retain(const audit::Entry& base, bool dry_run);
  const NoticeVersion* FindNotice(std::string_view version) const;
  bool KnownPurpose(std::string_view purpose) const;
  std::vector<ConsentState> StateOf(const std::vector<store::ConsentRow>& current) const;

  CustomerService& customers_;
  store::Store& store_;
  const policy::Policy& policy_;
  audit::AuditLog& audit_;
  PrivacyOptions options_;
  Clock clock_;
  // Refusals are fsynced; a refusal keeps the entry's detail and adds
  // " error=<reason>".
  AuditGuard guard_;

  std::mutex retention_mu_;  // one retention run at a time

  mutable std::mutex schedule_mu_;
  std::condition_variable schedule_cv_;
  bool stopping_ = false;               // GUARDED_BY(schedule_mu_)
  std::atomic<bool> stop_runs_{false};  // a scheduled run in progress stops early
  int64_t scheduled_runs_ = 0;          // GUARDED_BY(schedule_mu_)
  std::thread schedule_thread_;
};

}  // namespace vault::service
