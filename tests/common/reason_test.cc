// Named reasons: the table round-trips, the names clients switch on are spelt
// as the OpenAPI contract has them, and a Status answers Is() and the
// predicates by reason, not by code or message.
#include "common/reason.h"

#include <gtest/gtest.h>

#include <set>

#include "common/status.h"

namespace vault {
namespace {

TEST(ReasonTest, EveryReasonRoundTripsThroughItsName) {
  std::set<std::string_view> seen;
  for (Reason r : kAllReasons) {
    std::string_view name = ReasonName(r);
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    ASSERT_TRUE(ParseReason(name).has_value()) << name;
    EXPECT_EQ(*ParseReason(name), r) << name;
  }
  EXPECT_FALSE(ParseReason("audit_unavailable ").has_value());
}

TEST(ReasonTest, NamesMatchTheContract) {
  EXPECT_EQ(ReasonName(Reason::kAuditUnavailable), "audit_unavailable");
  EXPECT_EQ(ReasonName(Reason::kStorageFull), "storage_full");
  EXPECT_EQ(ReasonName(Reason::kForbidden), "forbidden");
  EXPECT_EQ(ReasonName(Reason::kIdempotencyKeyReused), "idempotency_key_reused");
  EXPECT_EQ(ReasonName(Reason::kRevealQuotaExceeded), "reveal_quota_exceeded");
  EXPECT_EQ(ReasonName(Reason::kCustomerNotFound), "customer_not_found");
}

TEST(ReasonTest, StatusCarriesANamedReasonAsItsText) {
  Status st = Unavailable("cannot write", Reason::kAuditUnavailable);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(st.reason(), "audit_unavailable");
  EXPECT_TRUE(st.Is(Reason::kAuditUnavailable));
  EXPECT_TRUE(IsAuditUnavailable(st));
  EXPECT_FALSE(IsStorageFull(st));
  // The same reason given as text is the same reason.
  EXPECT_TRUE(IsStorageFull(ResourceExhausted("full", "storage_full")));
  // Same code, other reason: not it.
  EXPECT_FALSE(IsAuditUnavailable(Unavailable("busy", "storage_busy")));
  EXPECT_FALSE(IsAuditUnavailable(Status::Ok()));
}

}  // namespace
}  // namespace vault
