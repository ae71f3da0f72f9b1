// RetentionJob without HTTP, on a real vault in a temp dir with the shipped policy
// and a clock the tests move (PrivacyFixture).
#include "service/retention_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "store/vault_tables.h"
#include "support/privacy_fixture.h"

namespace vault::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vault::testing::kDayMs;
using vault::testing::kNotice;
using vault::testing::TestPrivacyOptions;
using vault::testing::Who;

class RetentionJobTest : public vault::testing::PrivacyFixture {};

TEST_F(RetentionJobTest, DataDestroyedWhenNoLongerNeeded) {
  PrivacyOptions o = TestPrivacyOptions();
  o.days_with_consent["marketing_email"] = 1095;
  Build(o);
  std::string old1 = NewCustomer("old1@example.com", std::nullopt);
  std::string old2 = NewCustomer("old2@example.com", "+15145550111");
  std::string old_consenting = NewCustomer("fan@example.com", std::nullopt);
  std::string old_but_seen = NewCustomer("back@example.com", std::nullopt);
  Consent(old_consenting, "marketing_email", true);
  now_ += 400 * kDayMs;
  std::string recent = NewCustomer("new@example.com", std::nullopt);
  now_ += 300 * kDayMs;
  ASSERT_TRUE(retention_->MarkSeen(cashier_, meta_, old_but_seen).ok());  // a sale
  now_ += 100 * kDayMs;  // old ones: 800 days unseen; recent: 400

  auto dry = retention_->Run(officer_, meta_, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->examined, 3);
  EXPECT_EQ(dry->erased, 2);
  EXPECT_EQ(dry->kept_by_consent, 1);
  EXPECT_EQ(dry->by_reason, (std::map<std::string, int64_t>{{"unseen_over_730_days", 2}}));
  std::optional<store::CustomerRow> doomed;
  ASSERT_TRUE(vault_->store()
                  .Read([&](store::Database& db) -> Status {
                    ASSIGN_OR_RETURN(doomed, store::FindCustomer(db, old2));
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(doomed.has_value());

  auto run = retention_->Run(officer_, meta_, /*dry_run=*/false);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->erased, dry->erased);
  EXPECT_EQ(run->by_reason, dry->by_reason);
  for (const auto& id : {old1, old2}) {
    EXPECT_EQ(customers_->Get(id).status().code(), StatusCode::kNotFound) << id;
  }
  for (const auto& id : {old_consenting, old_but_seen, recent}) {
    EXPECT_TRUE(customers_->Get(id).ok()) << id;
  }
  auto found = customers_->FindByPhone("+15145550111");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
  // Live, without closing the vault: no byte of the record in the file or WAL.
  std::string bytes = vault::testing::ReadFileBytes(vault_->db_path) +
                      vault::testing::ReadFileBytes(vault_->db_path + "-wal");
  EXPECT_FALSE(vault::testing::Contains(bytes, doomed->dek));
  EXPECT_FALSE(vault::testing::Contains(bytes, *doomed->email_ct));
  EXPECT_FALSE(vault::testing::Contains(bytes, *doomed->phone_idx));

  // Each erasure audited like a manual one, with the rule as its reason.
  std::set<std::string> erased;
  for (const auto& e : Audit()) {
    if (e.action != "customer.erase") continue;
    erased.insert(e.record_id);
    EXPECT_EQ(e.principal, "employee:privacy1");
    EXPECT_EQ(e.reason, "retention: unseen_over_730_days");
  }
  EXPECT_EQ(erased, (std::set<std::string>{old1, old2}));

  // The consent rule runs out too.
  now_ += 300 * kDayMs;
  auto later = retention_->RunScheduled();
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->by_reason.count("unseen_over_1095_days_with_consent_marketing_email"), 1u);
  EXPECT_EQ(customers_->Get(old_consenting).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Audit().back().principal, "system:retention");
}

TEST_F(RetentionJobTest, RetentionRunNeedsErasureRights) {
  std::string old = NewCustomer("old@example.com", std::nullopt);
  now_ += 731 * kDayMs;
  for (const auto& who : {cashier_, marketing_role_, admin_}) {
    for (bool dry_run : {true, false}) {
      EXPECT_EQ(retention_->Run(who, meta_, dry_run).status().code(), StatusCode::kPermissionDenied)
          << who.Label();
    }
    // Each refusal is audited: a retention.run entry, denied, for them.
    EXPECT_EQ(CountAudited("retention.run", who, "denied"), 2) << who.Label();
  }
  // No run happened: no summary entry, no erasure, the customer stays.
  for (const auto& e : Audit()) {
    EXPECT_NE(e.action, "customer.erase");
    if (e.action == "retention.run") {
      EXPECT_EQ(e.outcome, "denied");
    }
  }
  EXPECT_TRUE(customers_->Get(old).ok());
}

TEST_F(RetentionJobTest, ScheduledRetentionRunsInsideTheService) {
  PrivacyOptions o = TestPrivacyOptions();
  o.schedule_minutes = 60;
  Build(o);
  std::string old = NewCustomer("old@example.com", std::nullopt);
  now_ += 731 * kDayMs;
  retention_->StartSchedule();  // runs once at once, then hourly
  ASSERT_TRUE(retention_->WaitForScheduledRuns(1, std::chrono::seconds(20)));
  retention_->StopSchedule();
  EXPECT_EQ(customers_->Get(old).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vault::service
