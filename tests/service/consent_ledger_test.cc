// ConsentLedger without HTTP, on a real vault in a temp dir with the shipped policy
// and a clock the tests move (PrivacyFixture).
#include "service/consent_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/privacy_fixture.h"

namespace vault::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vault::testing::kDayMs;
using vault::testing::kNotice;
using vault::testing::TestPrivacyOptions;
using vault::testing::Who;

class ConsentLedgerTest : public vault::testing::PrivacyFixture {};

TEST_F(ConsentLedgerTest, ConsentHistoryKeepsEveryGrantAndWithdrawal) {
  std::string id = NewCustomer("ann@example.com", std::nullopt);
  Consent(id, "marketing_email", true);
  now_ += 1000;
  Consent(id, "marketing_email", false);

  auto rows = History(id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].granted);
  EXPECT_FALSE(rows[1].granted);
  for (const auto& r : rows) {
    EXPECT_EQ(r.purpose, "marketing_email");
    EXPECT_EQ(r.channel, "pos");
    EXPECT_EQ(r.actor, "employee:cashier1");
    EXPECT_EQ(r.notice_version, kNotice);
    EXPECT_EQ(r.notice_hash, Config{}.notices.at(kNotice));
    EXPECT_GT(r.audit_seq, 0);
  }
  EXPECT_EQ(rows[1].time_ms - rows[0].time_ms, 1000);

  auto state = consents_->Current(cashier_, meta_, id);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->size(), 3u);  // every configured purpose
  EXPECT_EQ((*state)[0].purpose, "marketing_email");
  EXPECT_TRUE((*state)[0].recorded);
  EXPECT_FALSE((*state)[0].granted);
  EXPECT_FALSE((*state)[1].recorded);  // marketing_sms: never asked

  // Each change has its own audit entry, naming purpose and outcome.
  int consent_entries = 0;
  for (const auto& e : Audit()) {
    if (e.action != "consent.write") continue;
    ++consent_entries;
    EXPECT_EQ(e.record_id, id);
    EXPECT_THAT(e.detail, HasSubstr("purpose=marketing_email"));
  }
  EXPECT_EQ(consent_entries, 2);
}

TEST_F(ConsentLedgerTest, ConsentLedgerIsAppendOnly) {
  std::string id = NewCustomer("ann@example.com", std::nullopt);
  Consent(id, "marketing_email", true);
  for (const char* sql : {"UPDATE consent_events SET granted = 0", "DELETE FROM consent_events"}) {
    Status st = vault_->store().Write([&](store::Database& db) { return db.Execute(sql); });
    EXPECT_FALSE(st.ok()) << sql;
    EXPECT_THAT(st.message(), HasSubstr("append-only")) << sql;
  }
  ASSERT_EQ(History(id).size(), 1u);
  EXPECT_TRUE(History(id)[0].granted);
}

TEST_F(ConsentLedgerTest, ConsentRefusesWhatItCannotRecordFaithfully) {
  std::string id = NewCustomer("ann@example.com", std::nullopt);
  auto set = [&](ConsentChange c) { return consents_->Set(cashier_, meta_, id, c); };
  EXPECT_EQ(set({"newsletter", true, "pos", kNotice}).status().reason(), "purpose_unknown");
  EXPECT_EQ(set({"marketing_email", true, "fax", kNotice}).status().reason(), "channel_invalid");
  EXPECT_EQ(set({"marketing_email", true, "pos", "notice-1999"}).status().reason(),
            "notice_unknown");
  EXPECT_EQ(consents_
                ->Set(cashier_, meta_, "cus_" + std::string(32, '0'),
                      {"marketing_email", true, "pos", kNotice})
                .status()
                .code(),
            StatusCode::kNotFound);
  // Marketing may export, not record consent.
  EXPECT_EQ(consents_->Set(marketing_role_, meta_, id, {"marketing_email", true, "web", kNotice})
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(History(id).empty());
  // Refusals are audited too.
  int refused = 0;
  for (const auto& e : Audit()) {
    if (e.action == "consent.write" && e.outcome != "success") ++refused;
  }
  EXPECT_EQ(refused, 5);
}

}  // namespace
}  // namespace vault::service
