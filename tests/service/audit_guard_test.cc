// AuditGuard on a real vault and audit log: a refusal leaves exactly one
// entry written as the guard's RefusalStyle says, a permitted call leaves
// none, and an audit failure passes through unrecorded.
#include "service/audit_guard.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "support/audited_vault.h"

namespace vault::service {
namespace {

using audit::AuditAction;
using vault::testing::AuditedVault;
using vault::testing::Employee;

class AuditGuardTest : public ::testing::Test {
 protected:
  AuditGuard Guard(RefusalDetail detail, RefusalNames names = RefusalNames::kPermission) {
    return AuditGuard(*v_.audit, *v_.policy, {store::Durability::kWritten, detail, names});
  }
  std::vector<store::AuditRow> Entries() { return v_.Entries(); }

  audit::Entry EntryWithDetail(std::string detail) {
    audit::Entry e = EntryFor(Employee("alice", "cashier"), {"req-1", "10.0.0.9"},
                              AuditAction::kConsentRead, "cus_00000000000000000000000000000001");
    e.detail = std::move(detail);
    return e;
  }

  AuditedVault v_;
};

TEST_F(AuditGuardTest, PermittedCallLeavesNoEntry) {
  AuditGuard guard = Guard(RefusalDetail::kReason);
  EXPECT_TRUE(guard
                  .Authorize(Employee("alice", "cashier"), policy::Action::kCustomerSearch,
                             EntryWithDetail(""))
                  .ok());
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AuditGuardTest, RefusedPermissionIsRecordedOnceAsDenied) {
  AuditGuard guard = Guard(RefusalDetail::kReason);
  Status st = guard.Authorize(Employee("alice", "marketing"), policy::Action::kCustomerRead,
                              EntryWithDetail(""));
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(st.Is(Reason::kForbidden));
  EXPECT_EQ(st.message(), "your role may not customer.read");
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, "consent.read");
  EXPECT_EQ(rows[0].principal, "employee:alice");
  EXPECT_EQ(rows[0].record_id, "cus_00000000000000000000000000000001");
  EXPECT_EQ(rows[0].outcome, "denied");
  EXPECT_EQ(rows[0].detail, "forbidden");
  EXPECT_EQ(rows[0].request_id, "req-1");
  EXPECT_EQ(rows[0].client, "10.0.0.9");
}

TEST_F(AuditGuardTest, RefusalMessageNamesWhatTheStyleSays) {
  Status st = Guard(RefusalDetail::kReason, RefusalNames::kAuditAction)
                  .Authorize(Employee("alice", "marketing"), policy::Action::kCustomerRead,
                             EntryWithDetail(""));
  EXPECT_EQ(st.message(), "your role may not consent.read");
}

TEST_F(AuditGuardTest, DetailIsKeptReplacedOrAppendedAsTheStyleSays) {
  const Status failure = InvalidArgument("bad purpose", "purpose_unknown");
  EXPECT_EQ(
      Guard(RefusalDetail::kReasonIfEmpty).Refuse(EntryWithDetail("purpose=x"), failure).code(),
      StatusCode::kInvalidArgument);
  Guard(RefusalDetail::kReasonIfEmpty).Refuse(EntryWithDetail(""), failure).IgnoreError();
  Guard(RefusalDetail::kReason).Refuse(EntryWithDetail("purpose=x"), failure).IgnoreError();
  Guard(RefusalDetail::kAppendReason).Refuse(EntryWithDetail("purpose=x"), failure).IgnoreError();
  Guard(RefusalDetail::kAppendReason).Refuse(EntryWithDetail(""), failure).IgnoreError();
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].detail, "purpose=x");
  EXPECT_EQ(rows[1].detail, "purpose_unknown");
  EXPECT_EQ(rows[2].detail, "purpose_unknown");
  EXPECT_EQ(rows[3].detail, "purpose=x error=purpose_unknown");
  EXPECT_EQ(rows[4].detail, "purpose_unknown");
  for (const auto& row : rows) EXPECT_EQ(row.outcome, "invalid");
}

TEST_F(AuditGuardTest, RefuseChangePassesAnAuditFailureThroughUnrecorded) {
  AuditGuard guard = Guard(RefusalDetail::kReason);
  Status passed = guard.RefuseChange(EntryWithDetail(""), audit::AuditUnavailable());
  EXPECT_TRUE(IsAuditUnavailable(passed));
  EXPECT_TRUE(Entries().empty());
  EXPECT_TRUE(guard.RefuseChange(EntryWithDetail(""), Status::Ok()).ok());
  EXPECT_TRUE(Entries().empty());

  Status refused =
      guard.RefuseChange(EntryWithDetail(""), NotFound("gone", Reason::kCustomerNotFound));
  EXPECT_TRUE(refused.Is(Reason::kCustomerNotFound));
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, "not_found");
  EXPECT_EQ(rows[0].detail, "customer_not_found");
}

}  // namespace
}  // namespace vault::service
