// AuditGuard: the one way a service checks a principal's permission and
// records a refusal. Every refused call leaves exactly one audit entry with
// the failure's outcome ("denied", "invalid", "not_found", ...) and reason,
// and then returns the failure, unless the entry itself cannot be written:
// then AuditUnavailable wins and the caller fails closed.
//
// The services differ in how a refusal is written, and say so when they make
// their guard (RefusalStyle): how durable the entry must be before the answer
// (AccessService's lookups and refusals only committed, AdminService and
// the privacy services' fsynced), what happens to a detail the entry already holds,
// and what the "your role may not …" message names.
//
// Thread-safe (AuditLog and Policy are).
#pragma once

#include <string>
#include <string_view>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "common/status.h"
#include "policy/policy.h"
#include "store/store.h"

namespace vault::service {

// Where a request came from, for the audit.
struct RequestMeta {
  std::string request_id;
  std::string client;
};

// An audit entry for `who` doing `action` on `record_id` (a customer id, or
// an admin action's target), from the request `meta`; outcome "success".
audit::Entry EntryFor(const auth::Principal& who, const RequestMeta& meta,
                      audit::AuditAction action, std::string_view record_id);

// What a refusal does with the detail its entry already holds.
enum class RefusalDetail {
  kReasonIfEmpty,  // the failure's reason, unless the entry has a detail
  kReason,         // the failure's reason, replacing any detail
  kAppendReason,   // the detail, then " error=<reason>" (the reason alone if none)
};

// What a permission refusal's message names: the policy grant that is
// missing ("customer.read") or the audited action ("consent.read").
enum class RefusalNames { kPermission, kAuditAction };

struct RefusalStyle {
  store::Durability durability = store::Durability::kDurable;
  RefusalDetail detail = RefusalDetail::kReason;
  RefusalNames names = RefusalNames::kPermission;
};

// PermissionDenied with Reason::kForbidden.
Status Forbidden(std::string message);

class AuditGuard {
 public:
  AuditGuard(audit::AuditLog& audit, const policy::Policy& policy, RefusalStyle style);

  // Ok if any of `who`'s roles grants `permission`; otherwise records `entry`
  // refused and returns Forbidden ("your role may not …").
  Status Authorize(const auth::Principal& who, policy::Action permission,
                   const audit::Entry& entry) const;

  // Records `entry` with `failure`'s outcome and reason; returns `failure`,
  // or the audit's own failure, which wins.
  // REQUIRES: !failure.ok()
  Status Refuse(audit::Entry entry, const Status& failure) const;
  // As Refuse, but returns only whether the entry was written (OK), for a
  // caller that goes on after a refusal.
  Status RecordRefusal(audit::Entry entry, const Status& failure) const;

  // For a change whose entry was to commit with it and did not: an audit
  // failure is passed on as it is (nothing was recorded, nothing more can
  // be); any other failure is refused as Refuse does. Returns `failure` for
  // an OK status, so `return RefuseChange(entry, st)` needs no test first.
  Status RefuseChange(const audit::Entry& entry, const Status& failure) const;

 private:
  audit::AuditLog& audit_;
  const policy::Policy& policy_;
  RefusalStyle style_;
};

}  // namespace vault::service
