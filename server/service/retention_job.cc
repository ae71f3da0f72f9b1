#include "service/retention_job.h"

#include <utility>
#include <vector>

#include "common/log.h"
#include "store/privacy_tables.h"
#include "store/vault_tables.h"

namespace vault::service {

using audit::AuditAction;
namespace {

constexpr int64_t kDaySeconds = 24 * 3600;
constexpr char kRetentionPrincipal[] = "system:retention";

// Why `c` goes under the rules, or nullopt if it stays. `current` is its
// consent state. Used both to plan and, inside each erasure's transaction,
// to re-check, so the plan and the act agree.
struct Verdict {
  bool erase = false;
  bool kept_by_consent = false;
  std::string reason;
};

Verdict Judge(const PrivacyOptions& o, int64_t last_seen_s, int64_t now_s,
              const std::vector<store::ConsentRow>& current) {
  Verdict v;
  if (o.erase_after_days_unseen <= 0) return v;
  int64_t days = o.erase_after_days_unseen;
  std::string because;
  for (const auto& row : current) {
    if (!row.granted) continue;
    auto it = o.days_with_consent.find(row.purpose);
    if (it != o.days_with_consent.end() && it->second > days) {
      days = it->second;
      because = row.purpose;
    }
  }
  int64_t unseen = now_s - last_seen_s;
  if (unseen <= o.erase_after_days_unseen * kDaySeconds) return v;
  if (unseen <= days * kDaySeconds) {
    v.kept_by_consent = true;
    return v;
  }
  v.erase = true;
  v.reason = "unseen_over_" + std::to_string(days) + "_days";
  if (!because.empty()) v.reason += "_with_consent_" + because;
  return v;
}

}  // namespace

RetentionJob::RetentionJob(CustomerService& customers, store::Store& store,
                           const policy::Policy& policy, audit::AuditLog& audit,
                           PrivacyOptions options, Clock clock)
    : customers_(customers),
      store_(store),
      audit_(audit),
      options_(std::move(options)),
      clock_(std::move(clock)),
      guard_(audit, policy, kPrivacyRefusals) {}

RetentionJob::~RetentionJob() { StopSchedule(); }

StatusOr<RetentionReport> RetentionJob::Run(const auth::Principal& who, const RequestMeta& meta,
                                            bool dry_run) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kRetentionRun, "");
  RETURN_IF_ERROR(guard_.Authorize(who, policy::Action::kCustomerErase, entry));
  return Retain(entry, dry_run);
}

StatusOr<RetentionReport> RetentionJob::RunScheduled() {
  audit::Entry base(AuditAction::kRetentionRun);
  base.principal = kRetentionPrincipal;
  base.request_id = "retention-" + std::to_string(clock_());
  base.client = "scheduler";
  return Retain(base, /*dry_run=*/false);
}

StatusOr<RetentionReport> RetentionJob::Retain(const audit::Entry& base, bool dry_run) {
  std::lock_guard lock(run_mu_);
  RetentionReport report;
  report.dry_run = dry_run;
  report.ran_at_ms = clock_();
  report.erase_after_days_unseen = options_.erase_after_days_unseen;
  const int64_t now_s = report.ran_at_ms / 1000;

  struct Planned {
    std::string id;
    std::string reason;
  };
  std::vector<Planned> plan;
  if (options_.erase_after_days_unseen > 0) {
    int64_t cutoff_s = now_s - options_.erase_after_days_unseen * kDaySeconds;
    Status st = store_.Read([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(auto unseen, store::CustomersUnseenSince(db, cutoff_s));
      report.examined = static_cast<int64_t>(unseen.size());
      for (const auto& u : unseen) {
        std::vector<store::ConsentRow> current;
        if (!options_.days_with_consent.empty()) {
          ASSIGN_OR_RETURN(current, store::CurrentConsents(db, u.id));
        }
        Verdict v = Judge(options_, u.last_seen_at, now_s, current);
        if (v.kept_by_consent) ++report.kept_by_consent;
        if (v.erase) plan.push_back({u.id, v.reason});
      }
      return Status::Ok();
    });
    if (!st.ok()) return st;
  }

  for (const auto& p : plan) {
    if (base.principal == kRetentionPrincipal && stop_runs_.load()) break;  // shutting down
    if (dry_run) {
      ++report.erased;
      ++report.by_reason[p.reason];
      continue;
    }
    audit::Entry entry = base;
    entry.action = AuditAction::kCustomerErase;
    entry.record_id = p.id;
    entry.fields = "email,phone,name";
    entry.reason = "retention: " + p.reason;
    entry.detail = "retention";
    // Re-judged inside the transaction: a customer seen (or consenting)
    // since the plan was made stays.
    Status st = store_.Write([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(auto row, store::FindCustomer(db, p.id));
      if (!row) return NotFound("already erased", Reason::kCustomerNotFound);
      std::vector<store::ConsentRow> current;
      if (!options_.days_with_consent.empty()) {
        ASSIGN_OR_RETURN(current, store::CurrentConsents(db, p.id));
      }
      if (!Judge(options_, row->last_seen_at, now_s, current).erase) {
        return FailedPrecondition("seen since the plan was made", Reason::kCustomerKept);
      }
      ASSIGN_OR_RETURN(bool deleted, store::DeleteCustomer(db, p.id));
      if (!deleted) return NotFound("already erased", Reason::kCustomerNotFound);
      return audit_.Append(db, entry).status();
    });
    if (st.Is(Reason::kCustomerNotFound) || st.Is(Reason::kCustomerKept)) continue;
    if (!st.ok()) return st;  // fail closed: stop at the first failure
    ++report.erased;
    ++report.by_reason[p.reason];
  }
  if (!dry_run && report.erased > 0) {
    Status scrub = ScrubWal();
    if (!scrub.ok()) {
      log::Warn("retention: the WAL was not truncated after erasures (" + scrub.reason() +
                "); old pages stay in it until the next checkpoint");
    }
  }

  audit::Entry summary = base;
  summary.detail = std::string("dry_run=") + (dry_run ? "true" : "false") +
                   " rule_days=" + std::to_string(options_.erase_after_days_unseen) +
                   " examined=" + std::to_string(report.examined) +
                   " erased=" + std::to_string(report.erased) +
                   " kept_by_consent=" + std::to_string(report.kept_by_consent);
  RETURN_IF_ERROR(audit_.Record(summary).status());
  return report;
}

Status RetentionJob::ScrubWal() { return store_.TruncateWal(); }

void RetentionJob::StartSchedule() {
  if (options_.schedule_minutes <= 0 || options_.erase_after_days_unseen <= 0) return;
  std::lock_guard lock(schedule_mu_);
  if (schedule_thread_.joinable()) return;
  stopping_ = false;
  stop_runs_ = false;
  schedule_thread_ = std::thread([this] {
    const auto period = std::chrono::minutes(options_.schedule_minutes);
    std::unique_lock lock(schedule_mu_);
    while (!stopping_) {
      lock.unlock();
      auto report = RunScheduled();
      if (!report.ok()) {
        log::Warn("retention: the scheduled run failed: " + report.status().reason());
      } else if (report->erased > 0) {
        log::Info("retention: erased " + std::to_string(report->erased) +
                  " customers unseen past the rule");
      }
      // Also clears the WAL of pages left by erasures made through DELETE
      // since the last run.
      if (Status scrub = ScrubWal(); !scrub.ok()) {
        log::Warn("retention: the WAL was not truncated (" + scrub.reason() + ")");
      }
      lock.lock();
      ++scheduled_runs_;
      schedule_cv_.notify_all();
      schedule_cv_.wait_for(lock, period, [this] { return stopping_; });
    }
  });
}

void RetentionJob::StopSchedule() {
  {
    std::lock_guard lock(schedule_mu_);
    stopping_ = true;
    stop_runs_ = true;
  }
  schedule_cv_.notify_all();
  if (schedule_thread_.joinable()) schedule_thread_.join();
}

int64_t RetentionJob::scheduled_runs() const {
  std::lock_guard lock(schedule_mu_);
  return scheduled_runs_;
}

bool RetentionJob::WaitForScheduledRuns(int64_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(schedule_mu_);
  return schedule_cv_.wait_for(lock, timeout, [&] { return scheduled_runs_ >= n; });
}

Status RetentionJob::MarkSeen(const auth::Principal& who, const RequestMeta& meta,
                              std::string_view id) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerSeen, id);
  RETURN_IF_ERROR(guard_.Authorize(who, policy::Action::kCustomerRead, entry));
  if (!IsCustomerId(id)) {
    return guard_.Refuse(entry, NotFound("no such customer", Reason::kCustomerNotFound));
  }
  Status st = customers_.Touch({std::string(id)}, [&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto customer, store::FindCustomer(db, id));
    if (!customer) return NotFound("no such customer", Reason::kCustomerNotFound);
    return audit_.Append(db, entry).status();
  });
  return guard_.RefuseChange(entry, st);
}

}  // namespace vault::service
