#include "service/consent_ledger.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "store/privacy_tables.h"
#include "store/vault_tables.h"

namespace vault::service {

using audit::AuditAction;
namespace {

constexpr const char* kChannels[] = {"web", "pos", "import", "staff"};

}  // namespace

ConsentLedger::ConsentLedger(store::Store& store, const policy::Policy& policy,
                             audit::AuditLog& audit, PrivacyOptions options)
    : store_(store),
      audit_(audit),
      options_(std::move(options)),
      guard_(audit, policy, kPrivacyRefusals) {}

StatusOr<ConsentState> ConsentLedger::Set(const auth::Principal& who, const RequestMeta& meta,
                                          std::string_view id, const ConsentChange& change) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kConsentWrite, id);
  RETURN_IF_ERROR(guard_.Authorize(who, policy::Action::kConsentWrite, entry));
  if (!options_.KnownPurpose(change.purpose)) {
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
  const NoticeVersion* notice = options_.FindNotice(change.notice_version);
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

StatusOr<std::vector<ConsentState>> ConsentLedger::Current(const auth::Principal& who,
                                                           const RequestMeta& meta,
                                                           std::string_view id) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kConsentRead, id);
  RETURN_IF_ERROR(guard_.Authorize(who, policy::Action::kCustomerRead, entry));
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
  return ConsentStates(options_, current);
}

}  // namespace vault::service
