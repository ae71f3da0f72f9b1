#include "service/privacy_service.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/text.h"
#include "crypto/util.h"
#include "store/vault_tables.h"

namespace vault::service {
namespace {

using audit::AuditAction;
using policy::Action;
using policy::Level;

constexpr int64_t kDaySeconds = 24 * 3600;
constexpr int kAuditPage = 1000;
constexpr char kRetentionPrincipal[] = "system:retention";
constexpr const char* kChannels[] = {"web", "pos", "import", "staff"};

// The reason of an access export (NormalizeReason), or InvalidArgument.
StatusOr<std::string> StatedReason(std::string_view reason) {
  std::optional<std::string> stated = NormalizeReason(reason);
  if (!stated) {
    return InvalidArgument("an access export needs a reason of 1 to 200 characters",
                           "reason_required");
  }
  return *std::move(stated);
}

// Appends one CSV field (RFC 4180) to `out`: quoted when it holds a comma,
// quote or line break. A `free_text` field (a name) that a spreadsheet would
// read as a formula gets a leading apostrophe (OWASP "CSV injection"); ids,
// emails and E.164 phones go out exactly as stored.
void AppendCsvField(std::string& out, std::string_view value, bool free_text) {
  bool formula = free_text && !value.empty() &&
                 (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                  value[0] == '\t' || value[0] == '\r');
  bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote) out.push_back('"');
  if (formula) out.push_back('\'');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  if (quote) out.push_back('"');
}

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

PrivacyOptions PrivacyOptions::FromConfig(const Config& config) {
  PrivacyOptions o;
  o.officer = {config.privacy_officer_name, config.privacy_officer_email,
               config.privacy_officer_phone};
  o.purposes = config.consent_purposes;
  for (const auto& [version, hash] : config.notices) o.notices.push_back({version, hash});
  for (const auto& [purpose, field] : config.export_fields) {
    o.export_fields[purpose] = field == "phone" ? ContactField::kPhone : ContactField::kEmail;
  }
  o.erase_after_days_unseen = config.erase_after_days_unseen;
  for (const auto& [purpose, days] : config.retention_days_with_consent) {
    o.days_with_consent[purpose] = days;
  }
  o.schedule_minutes = config.retention_schedule_minutes;
  return o;
}

PrivacyService::PrivacyService(CustomerService& customers, store::Store& store,
                               const policy::Policy& policy, audit::AuditLog& audit,
                               PrivacyOptions options, Clock clock)
    : customers_(customers),
      store_(store),
      policy_(policy),
      audit_(audit),
      options_(std::move(options)),
      clock_(std::move(clock)),
      guard_(
          audit, policy,
          {store::Durability::kDurable, RefusalDetail::kAppendReason, RefusalNames::kPermission}) {}

PrivacyService::~PrivacyService() { StopSchedule(); }

const NoticeVersion* PrivacyService::FindNotice(std::string_view version) const {
  for (const auto& n : options_.notices) {
    if (n.version == version) return &n;
  }
  return nullptr;
}

bool PrivacyService::KnownPurpose(std::string_view purpose) const {
  return std::find(options_.purposes.begin(), options_.purposes.end(), purpose) !=
         options_.purposes.end();
}

std::vector<ConsentState> PrivacyService::StateOf(
    const std::vector<store::ConsentRow>& current) const {
  std::vector<ConsentState> out;
  for (const auto& purpose : options_.purposes) {
    ConsentState s;
    s.purpose = purpose;
    for (const auto& row : current) {
      if (row.purpose != purpose) continue;
      s.recorded = true;
      s.granted = row.granted;
      s.at_ms = row.time_ms;
      s.channel = row.channel;
      s.notice_version = row.notice_version;
    }
    out.push_back(std::move(s));
  }
  return out;
}

// --- consent ledger ---

StatusOr<ConsentState> PrivacyService::SetConsent(const auth::Principal& who,
                                                  const RequestMeta& meta, std::string_view id,
                                                  const ConsentChange& change) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kConsentWrite, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kConsentWrite, entry));
  if (!KnownPurpose(change.purpose)) {
    return guard_.Refuse(entry, InvalidArgument("unknown consent purpose; the configured ones are "
                                                "in privacy.consent_purposes",
                                                "purpose_unknown"));
  }
  entry.detail = "purpose=" + change.purpose + " granted=" + (change.granted ? "true" : "false");
  bool channel_ok = std::any_of(std::begin(kChannels), std::end(kChannels),
                                [&](const char* c) { return change.channel == c; });
  if (!channel_ok) {
    return guard_.Refuse(
        entry, InvalidArgument("channel must be web, pos, import or staff", "channel_invalid"));
  }
  entry.detail += " channel=" + change.channel;
  const NoticeVersion* notice = FindNotice(change.notice_version);
  if (notice == nullptr) {
    return guard_.Refuse(entry, InvalidArgument("unknown notice version; the configured ones are "
                                                "in privacy.notices",
                                                "notice_unknown"));
  }
  entry.detail += " notice=" + notice->version;
  if (!IsCustomerId(id)) {
    return guard_.Refuse(entry, NotFound("no such customer", Reason::kCustomerNotFound));
  }

  store::ConsentRow row;
  row.customer_id = std::string(id);
  row.purpose = change.purpose;
  row.granted = change.granted;
  row.channel = change.channel;
  row.actor = who.Label();
  row.notice_version = notice->version;
  row.notice_hash = notice->hash;
  Status st = store_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto customer, store::FindCustomer(db, id));
    if (!customer) return NotFound("no such customer", Reason::kCustomerNotFound);
    ASSIGN_OR_RETURN(audit::Receipt receipt, audit_.Append(db, entry));
    row.audit_seq = receipt.seq;
    row.time_ms = receipt.time_ms;
    ASSIGN_OR_RETURN(row.seq, store::InsertConsent(db, row));
    return Status::Ok();
  });
  if (!st.ok()) return guard_.RefuseChange(entry, st);
  ConsentState state;
  state.purpose = row.purpose;
  state.granted = row.granted;
  state.recorded = true;
  state.at_ms = row.time_ms;
  state.channel = row.channel;
  state.notice_version = row.notice_version;
  return state;
}

StatusOr<std::vector<ConsentState>> PrivacyService::Consents(const auth::Principal& who,
                                                             const RequestMeta& meta,
                                                             std::string_view id) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kConsentRead, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerRead, entry));
  if (!IsCustomerId(id)) {
    return guard_.Refuse(entry, NotFound("no such customer", Reason::kCustomerNotFound));
  }
  std::vector<store::ConsentRow> current;
  Status st = store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto customer, store::FindCustomer(db, id));
    if (!customer) return NotFound("no such customer", Reason::kCustomerNotFound);
    ASSIGN_OR_RETURN(current, store::CurrentConsents(db, id));
    return Status::Ok();
  });
  if (!st.ok()) return guard_.Refuse(entry, st);
  RETURN_IF_ERROR(audit_.Record(entry).status());
  return StateOf(current);
}

// --- consented export ---

StatusOr<MarketingExport> PrivacyService::ExportMarketing(const auth::Principal& who,
                                                          const RequestMeta& meta,
                                                          std::string_view purpose) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kMarketingExport, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kMarketingExport, entry));
  if (!KnownPurpose(purpose)) {
    return guard_.Refuse(entry, InvalidArgument("unknown consent purpose", "purpose_unknown"));
  }
  entry.detail = "purpose=" + std::string(purpose);
  auto field_it = options_.export_fields.find(std::string(purpose));
  if (field_it == options_.export_fields.end()) {
    return guard_.Refuse(entry, InvalidArgument("this purpose has no marketing export "
                                                "(privacy.export_fields)",
                                                "purpose_not_exportable"));
  }
  // The purpose's own field goes out because the customer consented to being
  // contacted through it; any other field only where the role may see it in
  // plaintext anyway. Never the other contact field.
  const ContactField field = field_it->second;
  const bool with_name = policy_.FieldLevel(who.roles, ContactField::kName) == Level::kPlaintext;
  FieldSet wanted = FieldSet::None();
  wanted.email = field == ContactField::kEmail;
  wanted.phone = field == ContactField::kPhone;
  wanted.name = with_name;

  MarketingExport out;
  out.purpose = std::string(purpose);
  out.columns = {"id", ContactFieldName(field)};
  if (with_name) out.columns.push_back("name");
  entry.fields = std::string(ContactFieldName(field)) + ":plaintext";
  if (with_name) entry.fields += ",name:plaintext";

  std::vector<std::string> ids;
  Status st = store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(ids, store::CustomersConsentingTo(db, purpose));
    return Status::Ok();
  });
  if (!st.ok()) return guard_.Refuse(entry, st);

  for (size_t i = 0; i < out.columns.size(); ++i) {
    if (i > 0) out.csv += ",";
    out.csv += out.columns[i];
  }
  out.csv += "\r\n";
  for (const auto& id : ids) {
    auto c = customers_.Get(id, wanted);
    if (!c.ok()) {
      if (c.status().code() == StatusCode::kNotFound) continue;  // erased meanwhile
      crypto::WipeString(out.csv);
      return guard_.Refuse(entry, c.status());
    }
    const auto& value = field == ContactField::kEmail ? c->email : c->phone;
    if (value) {
      AppendCsvField(out.csv, c->id, false);
      out.csv.push_back(',');
      AppendCsvField(out.csv, *value, false);
      if (with_name) {
        out.csv.push_back(',');
        AppendCsvField(out.csv, c->name.value_or(""), true);
      }
      out.csv += "\r\n";
      ++out.rows;
    }
    WipeCustomer(*c);
  }
  entry.detail += " rows=" + std::to_string(out.rows);
  auto recorded = audit_.Record(entry);
  if (!recorded.ok()) {
    crypto::WipeString(out.csv);
    return recorded.status();
  }
  return out;
}

// --- last seen ---

Status PrivacyService::MarkSeen(const auth::Principal& who, const RequestMeta& meta,
                                std::string_view id) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerSeen, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerRead, entry));
  if (!IsCustomerId(id)) {
    return guard_.Refuse(entry, NotFound("no such customer", Reason::kCustomerNotFound));
  }
  Status st = customers_.Touch({std::string(id)}, [&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto customer, store::FindCustomer(db, id));
    if (!customer) return NotFound("no such customer", Reason::kCustomerNotFound);
    return audit_.Append(db, entry).status();
  });
  if (!st.ok()) return guard_.RefuseChange(entry, st);
  return Status::Ok();
}

// --- access request ---

StatusOr<AccessExport> PrivacyService::ExportCustomer(const auth::Principal& who,
                                                      const RequestMeta& meta, std::string_view id,
                                                      std::string_view reason) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerExport, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerExport, entry));
  entry.fields = "email:plaintext,phone:plaintext,name:plaintext";
  for (ContactField f : policy::kAllFields) {
    if (policy_.FieldLevel(who.roles, f) < Level::kPlaintext) {
      return guard_.Refuse(entry, Forbidden(std::string("an access export shows every field in "
                                                        "plaintext; your role may not see ") +
                                            ContactFieldName(f)));
    }
  }
  auto stated = StatedReason(reason);
  if (!stated.ok()) return guard_.Refuse(entry, stated.status());
  entry.reason = *stated;
  auto customer = customers_.Get(id, FieldSet::All());
  if (!customer.ok()) return guard_.Refuse(entry, customer.status());

  // Durable before any plaintext leaves; and so it lists itself.
  auto recorded = audit_.Record(entry);
  if (!recorded.ok()) {
    WipeCustomer(*customer);
    return recorded.status();
  }
  AccessExport out;
  out.customer = std::move(*customer);
  out.officer = options_.officer;
  out.notices = options_.notices;
  out.generated_at_ms = recorded->time_ms;
  std::vector<store::ConsentRow> current;
  Status st = store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(out.consent_history, store::ConsentHistory(db, id));
    ASSIGN_OR_RETURN(current, store::CurrentConsents(db, id));
    store::AuditQuery q;
    q.record_id = std::string(id);
    q.limit = kAuditPage;
    for (;;) {
      ASSIGN_OR_RETURN(auto page, store::QueryAudit(db, q));
      for (auto& row : page) out.accesses.push_back(std::move(row));
      if (static_cast<int>(page.size()) < q.limit) break;
      q.after_seq = out.accesses.back().seq;
    }
    return Status::Ok();
  });
  if (!st.ok()) {
    WipeCustomer(out.customer);
    return st;
  }
  out.consents = StateOf(current);
  return out;
}

// --- retention ---

StatusOr<RetentionReport> PrivacyService::RunRetention(const auth::Principal& who,
                                                       const RequestMeta& meta, bool dry_run) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kRetentionRun, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerErase, entry));
  return Retain(entry, dry_run);
}

StatusOr<RetentionReport> PrivacyService::RunScheduledRetention() {
  audit::Entry base(AuditAction::kRetentionRun);
  base.principal = kRetentionPrincipal;
  base.request_id = "retention-" + std::to_string(clock_());
  base.client = "scheduler";
  return Retain(base, /*dry_run=*/false);
}

StatusOr<RetentionReport> PrivacyService::Retain(const audit::Entry& base, bool dry_run) {
  std::lock_guard lock(retention_mu_);
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

Status PrivacyService::ScrubWal() { return store_.TruncateWal(); }

void PrivacyService::StartSchedule() {
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
      auto report = RunScheduledRetention();
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

void PrivacyService::StopSchedule() {
  {
    std::lock_guard lock(schedule_mu_);
    stopping_ = true;
    stop_runs_ = true;
  }
  schedule_cv_.notify_all();
  if (schedule_thread_.joinable()) schedule_thread_.join();
}

int64_t PrivacyService::scheduled_runs() const {
  std::lock_guard lock(schedule_mu_);
  return scheduled_runs_;
}

bool PrivacyService::WaitForScheduledRuns(int64_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(schedule_mu_);
  return schedule_cv_.wait_for(lock, timeout, [&] { return scheduled_runs_ >= n; });
}

// --- erasure receipts ---

StatusOr<ReceiptCheck> PrivacyService::VerifyReceipt(const auth::Principal& who,
                                                     const RequestMeta& meta,
                                                     const ReceiptClaim& receipt) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAuditReceiptVerify, receipt.id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kAuditRead, entry));
  entry.detail = "seq=" + std::to_string(receipt.audit_seq);
  std::optional<store::AuditRow> row;
  Status st = store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(row, store::FindAuditRow(db, receipt.audit_seq));
    return Status::Ok();
  });
  if (!st.ok()) return guard_.Refuse(entry, st);

  ReceiptCheck check;
  auto fail = [&](std::string problem) {
    if (check.problem.empty()) check.problem = std::move(problem);
  };
  if (!row) {
    fail("the audit log has no entry with that sequence number");
  } else {
    if (crypto::HexEncode(row->mac) != receipt.audit_mac_hex) {
      fail("the MAC does not match the audit entry at that sequence number");
    }
    if (row->action != audit::AuditActionName(AuditAction::kCustomerErase) ||
        row->outcome != "success") {
      fail("the audit entry at that sequence number is not an erasure");
    }
    if (row->record_id != receipt.id) fail("the erasure entry names another customer");
    if (row->principal != receipt.actor) fail("the erasure entry names another actor");
    if (row->time_ms != receipt.erased_at_ms) fail("the erasure entry has another time");
  }
  if (check.problem.empty()) {
    // The entry is only as good as the chain that holds it.
    ASSIGN_OR_RETURN(audit::VerifyResult chain, audit_.Verify());
    if (!chain.intact && chain.first_broken_seq <= receipt.audit_seq) {
      fail("the audit chain is broken at entry " + std::to_string(chain.first_broken_seq) +
           ", at or before the erasure");
    }
  }
  check.valid = check.problem.empty();
  entry.outcome = check.valid ? "valid" : "invalid";
  RETURN_IF_ERROR(audit_.Record(entry).status());
  return check;
}

}  // namespace vault::service
