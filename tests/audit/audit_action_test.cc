// The audit action table: every value has a distinct name that parses back to
// it, and the names already stored in audit logs are spelt as they were.
#include "audit/audit_action.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace vault::audit {
namespace {

TEST(AuditActionTest, EveryActionRoundTripsThroughItsName) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < kAuditActionCount; ++i) {
    const auto action = static_cast<AuditAction>(i);
    const std::string_view name = AuditActionName(action);
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    ASSERT_TRUE(ParseAuditAction(name).has_value()) << name;
    EXPECT_EQ(*ParseAuditAction(name), action) << name;
  }
}

// Stored names are chained into the audit MACs and filtered on by clients:
// a rename would break both. These are the names logs hold today.
TEST(AuditActionTest, StoredNamesAreUnchanged) {
  EXPECT_EQ(AuditActionName(AuditAction::kCustomerCreate), "customer.create");
  EXPECT_EQ(AuditActionName(AuditAction::kCustomerFindOrCreate), "customer.find_or_create");
  EXPECT_EQ(AuditActionName(AuditAction::kCustomerBatch), "customer.batch");
  EXPECT_EQ(AuditActionName(AuditAction::kCustomerSeen), "customer.seen");
  EXPECT_EQ(AuditActionName(AuditAction::kConsentRead), "consent.read");
  EXPECT_EQ(AuditActionName(AuditAction::kRetentionRun), "retention.run");
  EXPECT_EQ(AuditActionName(AuditAction::kAuditReceiptVerify), "audit.receipt_verify");
  EXPECT_EQ(AuditActionName(AuditAction::kAuthLogin), "auth.login");
  EXPECT_EQ(AuditActionName(AuditAction::kAuthMe), "auth.me");
  EXPECT_EQ(AuditActionName(AuditAction::kAdminServiceAccountsCreate),
            "admin.service_accounts.create");
  EXPECT_EQ(AuditActionName(AuditAction::kAdminKeysRotation), "admin.keys.rotation");
  EXPECT_EQ(AuditActionName(AuditAction::kKeysRotationComplete), "keys.rotation.complete");
}

TEST(AuditActionTest, UnknownNamesDoNotParse) {
  EXPECT_FALSE(ParseAuditAction("").has_value());
  EXPECT_FALSE(ParseAuditAction("customer.Create").has_value());
  EXPECT_FALSE(ParseAuditAction("customer.create ").has_value());
  EXPECT_FALSE(ParseAuditAction("admin.employees").has_value());  // a policy grant, not an action
}

}  // namespace
}  // namespace vault::audit
