#include "service/access_request.h"

#include <optional>
#include <utility>

#include "common/text.h"
#include "store/vault_tables.h"

namespace vault::service {

using audit::AuditAction;
namespace {

constexpr int kAuditPage = 1000;

// The reason of an access export (NormalizeReason), or InvalidArgument.
StatusOr<std::string> StatedReason(std::string_view reason) {
  std::optional<std::string> stated = NormalizeReason(reason);
  if (!stated) {
    return InvalidArgument("an access export needs a reason of 1 to 200 characters",
                           "reason_required");
  }
  return *std::move(stated);
}

}  // namespace

AccessRequest::AccessRequest(CustomerService& customers, store::Store& store,
                             const policy::Policy& policy, audit::AuditLog& audit,
                             PrivacyOptions options)
    : customers_(customers),
      store_(store),
      policy_(policy),
      audit_(audit),
      options_(std::move(options)),
      guard_(audit, policy, kPrivacyRefusals) {}

StatusOr<AccessExport> AccessRequest::Export(const auth::Principal& who, const RequestMeta& meta,
                                             std::string_view id, std::string_view reason) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerExport, id);
  RETURN_IF_ERROR(guard_.Authorize(who, policy::Action::kCustomerExport, entry));
  entry.fields = "email:plaintext,phone:plaintext,name:plaintext";
  for (ContactField f : policy::kAllFields) {
    if (policy_.FieldLevel(who.roles, f) < policy::Level::kPlaintext) {
      return guard_.Refuse(entry, Forbidden(std::string("an access export shows every field "
                                                        "in plaintext; your role may not see ") +
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
  out.consents = ConsentStates(options_, current);
  return out;
}

StatusOr<ReceiptCheck> AccessRequest::VerifyReceipt(const auth::Principal& who,
                                                    const RequestMeta& meta,
                                                    const ReceiptClaim& receipt) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kAuditReceiptVerify, receipt.id);
  RETURN_IF_ERROR(guard_.Authorize(who, policy::Action::kAuditRead, entry));
  entry.detail = "seq=" + std::to_string(receipt.audit_seq);
  auto problem =
      audit_.CheckReceipt({receipt.audit_seq, receipt.erased_at_ms, receipt.audit_mac_hex},
                          AuditAction::kCustomerErase, receipt.id, receipt.actor);
  if (!problem.ok()) return guard_.Refuse(entry, problem.status());
  ReceiptCheck check;
  check.valid = problem->empty();
  check.problem = *std::move(problem);
  entry.outcome = check.valid ? "valid" : "invalid";
  RETURN_IF_ERROR(audit_.Record(entry).status());
  return check;
}

}  // namespace vault::service
