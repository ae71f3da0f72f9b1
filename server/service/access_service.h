// AccessService: the customer operations as a principal may perform them.
// For each call it asks the policy whether the principal's roles allow the
// action, applies per-principal limits (lookups per minute, reveals per hour),
// renders every field at the caller's level (absent, masked, or, through an
// explicit reveal with a reason, plaintext), and records exactly one audit
// entry: in the same transaction as a change, durable before a reveal's
// plaintext is returned, and for refusals too. No plaintext value ever goes
// into an entry. HTTP handlers call this and only encode its results.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "common/clock.h"
#include "common/rate_limiter.h"
#include "common/status.h"
#include "policy/policy.h"
#include "service/audit_guard.h"
#include "service/customer_service.h"

namespace vault::service {

// One field as the caller may see it.
struct FieldView {
  policy::Level level = policy::Level::kNone;
  bool present = false;              // shown only from `match` up
  std::optional<std::string> value;  // masked, from `masked` up
};

struct CustomerView {
  std::string id;
  FieldView email, phone, name;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct SearchQuery {
  std::optional<std::string> email;
  std::optional<std::string> phone;
};

struct RevealResult {
  std::string id;
  std::map<std::string, std::string> values;  // field name -> plaintext
  int quota_remaining = 0;
};

struct ErasureReceipt {
  std::string id;
  int64_t erased_at_ms = 0;
  std::string actor;
  audit::Receipt audit;
};

struct FindOrCreateResult {
  CustomerView customer;
  bool created = false;
};

// One item of a batch as the caller read it.
struct BatchItem {
  enum class Op { kCreate, kFindOrCreate };
  Op op = Op::kCreate;
  CustomerInput input;
  // Not OK when the item could not be read (not an object, an unknown member
  // or op, a member of the wrong type): it is refused and audited under
  // `unread_action`, what the item appeared to ask for.
  Status unread;
  audit::AuditAction unread_action = audit::AuditAction::kCustomerBatch;
};

// What became of one item: OK with the customer (created or found), or the
// item's own failure.
struct BatchItemResult {
  Status status;
  std::optional<CustomerView> customer;
  bool created = false;
};

inline constexpr size_t kMaxBatchItems = 500;

class AccessService {
 public:
  AccessService(CustomerService& customers, const policy::Policy& policy, audit::AuditLog& audit,
                Clock clock = SystemClock());

  StatusOr<CustomerView> Create(const auth::Principal& who, const RequestMeta& meta,
                                const CustomerInput& input);
  // Exactly one of email or phone. Every match, at the caller's level.
  StatusOr<std::vector<CustomerView>> Search(const auth::Principal& who, const RequestMeta& meta,
                                             const SearchQuery& query);
  StatusOr<bool> Verify(const auth::Principal& who, const RequestMeta& meta, std::string_view id,
                        ContactField field, std::string_view value);
  StatusOr<CustomerView> Get(const auth::Principal& who, const RequestMeta& meta,
                             std::string_view id);
  // PermissionDenied naming the first field not at `plaintext` for the role;
  // InvalidArgument for a missing or over-long reason; ResourceExhausted once
  // the hourly quota is spent.
  StatusOr<RevealResult> Reveal(const auth::Principal& who, const RequestMeta& meta,
                                std::string_view id, const std::vector<ContactField>& fields,
                                std::string_view reason);
  StatusOr<CustomerView> Update(const auth::Principal& who, const RequestMeta& meta,
                                std::string_view id, const CustomerPatch& patch);
  StatusOr<ErasureReceipt> Erase(const auth::Principal& who, const RequestMeta& meta,
                                 std::string_view id);
  // The customer with this email (else phone), or a new one.
  StatusOr<FindOrCreateResult> FindOrCreate(const auth::Principal& who, const RequestMeta& meta,
                                            const CustomerInput& input);

  // Runs 1 to kMaxBatchItems creates or find-or-creates, each in its own
  // transaction with its own audit entry, so one failing item does not undo
  // the others; an item that could not be read leaves a refusal entry too.
  // InvalidArgument("batch_invalid") for no items or too many; stops with
  // AuditUnavailable at the first item whose entry cannot be written
  // (nothing more is done blind).
  StatusOr<std::vector<BatchItemResult>> Batch(const auth::Principal& who, const RequestMeta& meta,
                                               const std::vector<BatchItem>& items);

  // Erasure also scrubs the database's write-ahead log of the erased record's
  // old pages, with `scrub` (best effort: its failure does not fail the
  // erasure). Unset, nothing is scrubbed. Set before serving.
  void set_erasure_scrub(std::function<Status()> scrub) { erasure_scrub_ = std::move(scrub); }

  // Renders `c` (already decrypted as needed) at `who`'s levels.
  CustomerView Render(const auth::Principal& who, const Customer& c) const;
  // The fields `who` may see at `masked` or above (what to decrypt).
  FieldSet VisibleFields(const auth::Principal& who) const;

  // Records a refusal that happened before a principal was known (bad token).
  Status RecordUnauthenticated(const RequestMeta& meta, audit::AuditAction action,
                               std::string_view detail);

  // "email:masked,phone:masked,name:masked" for the audit.
  std::string FieldLevels(const auth::Principal& who,
                          const std::vector<ContactField>& fields) const;

  audit::AuditLog& audit() { return audit_; }
  const policy::Policy& policy() const { return policy_; }

 private:
  Status CheckLookupRate(const auth::Principal& who, const RequestMeta& meta,
                         audit::AuditAction action, std::string_view record_id);
  // A uniqueness conflict as `who` may hear it: naming the existing customer
  // only if `who` could have found it by searching for the email (its roles
  // allow customer.search at `match` or above on email); any other failure
  // unchanged.
  Status ConflictAsSeenBy(const auth::Principal& who, const Status& failure) const;

  CustomerService& customers_;
  const policy::Policy& policy_;
  audit::AuditLog& audit_;
  Clock clock_;
  // Refusals change and reveal nothing: committed, not waiting for fsync.
  AuditGuard guard_;
  // A batch item that never reached a customer operation is refused durably,
  // its detail the reason alone.
  AuditGuard unread_item_guard_;
  std::function<Status()> erasure_scrub_;
  RateLimiter lookups_;
};

}  // namespace vault::service
