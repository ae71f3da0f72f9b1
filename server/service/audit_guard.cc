#include "service/audit_guard.h"

#include <string>
#include <utility>

namespace vault::service {

audit::Entry EntryFor(const auth::Principal& who, const RequestMeta& meta,
                      audit::AuditAction action, std::string_view record_id) {
  audit::Entry e(action);
  e.principal = who.Label();
  e.roles = who.RolesString();
  e.record_id = std::string(record_id);
  e.request_id = meta.request_id;
  e.client = meta.client;
  return e;
}

Status Forbidden(std::string message) {
  return PermissionDenied(std::move(message), Reason::kForbidden);
}

AuditGuard::AuditGuard(audit::AuditLog& audit, const policy::Policy& policy, RefusalStyle style)
    : audit_(audit), policy_(policy), style_(style) {}

Status AuditGuard::Authorize(const auth::Principal& who, policy::Action permission,
                             const audit::Entry& entry) const {
  if (policy_.Allows(who.roles, permission)) return Status::Ok();
  std::string_view name = style_.names == RefusalNames::kPermission
                              ? policy::ActionName(permission)
                              : audit::AuditActionName(entry.action);
  return Refuse(entry, Forbidden("your role may not " + std::string(name)));
}

Status AuditGuard::Refuse(audit::Entry entry, const Status& failure) const {
  RETURN_IF_ERROR(RecordRefusal(std::move(entry), failure));
  return failure;
}

Status AuditGuard::RecordRefusal(audit::Entry entry, const Status& failure) const {
  entry.outcome = audit::OutcomeFor(failure);
  switch (style_.detail) {
    case RefusalDetail::kReasonIfEmpty:
      if (entry.detail.empty()) entry.detail = failure.reason();
      break;
    case RefusalDetail::kReason:
      entry.detail = failure.reason();
      break;
    case RefusalDetail::kAppendReason:
      if (entry.detail.empty()) {
        entry.detail = failure.reason();
      } else {
        entry.detail += " error=" + failure.reason();
      }
      break;
  }
  return audit_.Record(entry, style_.durability).status();
}

Status AuditGuard::RefuseChange(const audit::Entry& entry, const Status& failure) const {
  if (failure.ok() || IsAuditUnavailable(failure)) return failure;
  return Refuse(entry, failure);
}

}  // namespace vault::service
