// PrivacyOptions: the [privacy] and [retention] settings the four privacy
// services share, read and checked at load.
#include "service/privacy_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vault::service {
namespace {

TEST(PrivacyConfigTest, SettingsAreReadAndCheckedAtLoad) {
  auto config = ParseConfig(R"(
[privacy]
officer_name = "Pat Officer"
officer_email = "privacy@shop.example"
consent_purposes = ["marketing_email", "marketing_post"]
notices = { "notice-2027-01" = "0000000000000000000000000000000000000000000000000000000000000001" }
export_fields = { marketing_email = "email" }
[retention]
erase_after_days_unseen = 365
days_with_consent = { marketing_post = 500 }
schedule_minutes = 0
)",
                            "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  PrivacyOptions o = PrivacyOptions::FromConfig(*config);
  EXPECT_EQ(o.officer.email, "privacy@shop.example");
  EXPECT_EQ(o.purposes, (std::vector<std::string>{"marketing_email", "marketing_post"}));
  ASSERT_EQ(o.notices.size(), 1u);
  EXPECT_EQ(o.notices[0].version, "notice-2027-01");
  EXPECT_EQ(o.export_fields.size(), 1u);
  EXPECT_EQ(o.erase_after_days_unseen, 365);
  EXPECT_EQ(o.days_with_consent.at("marketing_post"), 500);
  EXPECT_EQ(o.schedule_minutes, 0);

  // The defaults match the staff form's notice and the issue's purposes.
  PrivacyOptions d = PrivacyOptions::FromConfig(Config{});
  EXPECT_EQ(d.purposes.size(), 3u);
  EXPECT_EQ(d.export_fields.at("marketing_sms"), ContactField::kPhone);
  EXPECT_EQ(d.erase_after_days_unseen, 730);
  EXPECT_EQ(d.schedule_minutes, 60);

  for (const char* bad : {
           "[privacy]\nexport_fields = { newsletter = \"email\" }\n",
           "[privacy]\nexport_fields = { marketing_email = \"name\" }\n",
           "[privacy]\nnotices = { \"v1\" = \"not-a-hash\" }\n",
           "[privacy]\nconsent_purposes = [\"Marketing Email\"]\n",
           "[privacy]\nconsent_purposes = [\"a\", \"a\"]\n",
           "[privacy]\ncontact = \"x\"\n",
           "[retention]\ndays_with_consent = { marketing_email = 10 }\n",
           "[retention]\nerase_after_days_unseen = 0\n"
           "days_with_consent = { marketing_email = 1000 }\n",
           "[retention]\nschedule_minutes = -1\n",
       }) {
    auto parsed = ParseConfig(bad, "bad.toml");
    EXPECT_EQ(parsed.status().reason(), "config_invalid") << bad;
  }
}

}  // namespace
}  // namespace vault::service
