// MarketingExport without HTTP, on a real vault in a temp dir with the shipped policy
// and a clock the tests move (PrivacyFixture).
#include "service/marketing_export.h"

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

class MarketingExportTest : public vault::testing::PrivacyFixture {
 protected:
  MarketingCsv Export(const std::string& purpose) {
    auto out = marketing_->Export(marketing_role_, meta_, purpose);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : MarketingCsv{};
  }
};

TEST_F(MarketingExportTest, NothingSharedWithoutConsent) {
  std::string yes = NewCustomer("yes@example.com", "+15145550101", "Yves Oui");
  std::string no = NewCustomer("no@example.com", "+15145550102", "Nora Non");
  std::string withdrawn = NewCustomer("gone@example.com", "+15145550103");
  std::string sms = NewCustomer("sms@example.com", "+15145550104");
  Consent(yes, "marketing_email", true);
  Consent(no, "marketing_sms", false);
  Consent(withdrawn, "marketing_email", true);
  Consent(sms, "marketing_sms", true);

  MarketingCsv before = Export("marketing_email");
  EXPECT_EQ(before.rows, 2);
  EXPECT_THAT(before.csv, HasSubstr("yes@example.com"));
  EXPECT_THAT(before.csv, HasSubstr("gone@example.com"));

  Consent(withdrawn, "marketing_email", false);
  MarketingCsv after = Export("marketing_email");
  EXPECT_EQ(after.rows, 1);
  EXPECT_EQ(after.csv, "id,email\r\n" + yes + ",yes@example.com\r\n");
  // Never the phone for an email purpose, never a name for marketing, never
  // anyone without a current grant.
  for (const char* absent : {"+1514", "Yves", "Nora", "no@example.com", "sms@example.com"}) {
    EXPECT_THAT(after.csv, Not(HasSubstr(absent)));
  }
  // And for an SMS purpose, the phone only.
  MarketingCsv texts = Export("marketing_sms");
  EXPECT_EQ(texts.csv, "id,phone\r\n" + sms + ",+15145550104\r\n");
  // A purpose with no export field, and an unknown one.
  EXPECT_EQ(marketing_->Export(marketing_role_, meta_, "share_with_partners").status().reason(),
            "purpose_not_exportable");
  EXPECT_EQ(marketing_->Export(marketing_role_, meta_, "anything").status().reason(),
            "purpose_unknown");

  // Audited with purpose and row count.
  std::vector<std::string> details;
  for (const auto& e : Audit()) {
    if (e.action == "marketing.export" && e.outcome == "success") details.push_back(e.detail);
  }
  EXPECT_THAT(details, ::testing::ElementsAre("purpose=marketing_email rows=2",
                                              "purpose=marketing_email rows=1",
                                              "purpose=marketing_sms rows=1"));
}

TEST_F(MarketingExportTest, OnlyMarketingExports) {
  std::string id = NewCustomer("yes@example.com", std::nullopt);
  Consent(id, "marketing_email", true);
  for (const auto& who : {cashier_, officer_, admin_, Who("support1", "support"),
                          Who("till-1", "pos", auth::Principal::Kind::kService)}) {
    auto out = marketing_->Export(who, meta_, "marketing_email");
    EXPECT_EQ(out.status().code(), StatusCode::kPermissionDenied) << who.Label();
    // The refusal is audited: one marketing.export entry, denied, for them.
    EXPECT_EQ(CountAudited("marketing.export", who, "denied"), 1) << who.Label();
  }
  // And nothing was exported: no successful entry at all.
  for (const auto& e : Audit()) {
    if (e.action == "marketing.export") {
      EXPECT_EQ(e.outcome, "denied") << e.principal;
    }
  }
}

// The name comes along only for a role that sees names at plaintext anyway.
TEST_F(MarketingExportTest, ExportCarriesNamesOnlyWhereTheRoleMaySeeThem) {
  const std::string policy = R"(
[roles.crm]
actions = ["marketing.export", "customer.reveal"]
fields = { email = "none", phone = "none", name = "plaintext" }
reveal_quota_per_hour = 1
lookups_per_minute = 0
[roles.cashier]
actions = ["consent.write"]
fields = {}
reveal_quota_per_hour = 0
lookups_per_minute = 0
)";
  Build(TestPrivacyOptions(), policy);
  std::string id = NewCustomer("yes@example.com", std::nullopt, "=HYPERLINK(\"x\")");
  Consent(id, "marketing_email", true);
  auto out = marketing_->Export(Who("crm1", "crm"), meta_, "marketing_email");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // RFC 4180 quoting, and a formula defused by a leading apostrophe.
  EXPECT_EQ(out->csv, "id,email,name\r\n" + id + ",yes@example.com,\"'=HYPERLINK(\"\"x\"\")\"\r\n");
}

}  // namespace
}  // namespace vault::service
