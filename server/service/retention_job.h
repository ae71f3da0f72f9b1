// RetentionJob: customers unseen for longer than the configured rule are
// erased (crypto-shredded: the row and its wrapped data key deleted, each
// erasure audited like a manual one, with the rule as its reason), by a
// schedule of its own inside the server and on demand; a dry run counts what
// a run would erase, and why. A consent to a purpose with a longer rule
// (retention.days_with_consent) keeps a customer that long. MarkSeen is the
// other half: a sale attached to a customer starts their time again.
//
// Contracts: one run at a time; each erasure re-judges its customer inside
// its own transaction, so one seen (or consenting) since the plan was made
// stays; a run stops at the first failure (fail closed) and ends with one
// "retention.run" summary entry. After erasures the WAL is truncated
// (Store::TruncateWal) so no page of an erased record survives in it; the
// schedule does so after every run, for erasures made through DELETE too.
//
// Thread-safe. StartSchedule starts one thread; StopSchedule (or the
// destructor) stops it and ends a scheduled run early.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "common/clock.h"
#include "common/status.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/audit_guard.h"
#include "service/customer_service.h"
#include "service/privacy_options.h"
#include "store/store.h"

namespace vault::service {

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

class RetentionJob {
 public:
  // Every reference must outlive the job.
  RetentionJob(CustomerService& customers, store::Store& store, const policy::Policy& policy,
               audit::AuditLog& audit, PrivacyOptions options, Clock clock = SystemClock());
  ~RetentionJob();  // stops the schedule
  RetentionJob(const RetentionJob&) = delete;
  RetentionJob& operator=(const RetentionJob&) = delete;

  // customer.erase (a run erases customers), audited as retention.run.
  // Plans and, unless `dry_run`, erases (see the contracts above).
  StatusOr<RetentionReport> Run(const auth::Principal& who, const RequestMeta& meta, bool dry_run);
  // The scheduled job's run, as principal "system:retention".
  StatusOr<RetentionReport> RunScheduled();

  // customer.read, audited as customer.seen. A sale was attached to the
  // customer: moves last_seen to now, so retention keeps them. NotFound for
  // an unknown customer.
  Status MarkSeen(const auth::Principal& who, const RequestMeta& meta, std::string_view id);

  // Runs RunScheduled now and then every schedule_minutes on a thread of its
  // own, until StopSchedule (or destruction). No-op when schedule_minutes is
  // 0 or the rule is off.
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

  CustomerService& customers_;
  store::Store& store_;
  audit::AuditLog& audit_;
  const PrivacyOptions options_;
  const Clock clock_;
  const AuditGuard guard_;  // kPrivacyRefusals

  std::mutex run_mu_;  // one run at a time

  mutable std::mutex schedule_mu_;
  std::condition_variable schedule_cv_;
  bool stopping_ = false;               // GUARDED_BY(schedule_mu_)
  std::atomic<bool> stop_runs_{false};  // a scheduled run in progress stops early
  int64_t scheduled_runs_ = 0;          // GUARDED_BY(schedule_mu_)
  std::thread schedule_thread_;
};

}  // namespace vault::service
