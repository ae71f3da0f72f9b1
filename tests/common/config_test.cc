#include "common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace vault {
namespace {

using ::testing::HasSubstr;

Config Parsed(const std::string& toml) {
  auto config = ParseConfig(toml, "test.toml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : Config{};
}

TEST(ConfigEnvironmentTest, SetsAnyKeyBySectionAndName) {
  Config c = Parsed("[server]\nport = 8443\n[log]\nlevel = \"info\"\n");
  Status st = ApplyEnvironment(c, {{"CONTACT_VAULT_SERVER_PORT", "9443"},
                                   {"CONTACT_VAULT_SERVER_LISTEN", "0.0.0.0"},
                                   {"CONTACT_VAULT_SERVER_DEV_MODE", "true"},
                                   {"CONTACT_VAULT_LOG_LEVEL", "warn"},
                                   {"CONTACT_VAULT_PRIVACY_OFFICER_EMAIL", "privacy@shop.example"},
                                   {"CONTACT_VAULT_CUSTOMERS_DEFAULT_REGION", "FR"}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.port, 9443);
  EXPECT_EQ(c.listen, "0.0.0.0");
  EXPECT_TRUE(c.dev_mode);
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.privacy_officer_email, "privacy@shop.example");
  EXPECT_EQ(c.default_region, "FR");
}

TEST(ConfigEnvironmentTest, AStringKeyTakesTextThatLooksLikeANumber) {
  Config c;
  Status st = ApplyEnvironment(c, {{"CONTACT_VAULT_PRIVACY_OFFICER_PHONE", "5145550199"},
                                   {"CONTACT_VAULT_PRIVACY_OFFICER_NAME", "true"}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.privacy_officer_phone, "5145550199");
  EXPECT_EQ(c.privacy_officer_name, "true");
}

TEST(ConfigEnvironmentTest, ListsAndTablesAreTomlValues) {
  Config c;
  Status st = ApplyEnvironment(
      c, {{"CONTACT_VAULT_PRIVACY_CONSENT_PURPOSES", R"(["marketing_email", "loyalty"])"},
          {"CONTACT_VAULT_PRIVACY_EXPORT_FIELDS", R"({ marketing_email = "email" })"}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_THAT(c.consent_purposes, ::testing::ElementsAre("marketing_email", "loyalty"));
  EXPECT_EQ(c.export_fields.size(), 1u);
}

TEST(ConfigEnvironmentTest, BadValuesAreRefusedNamingTheVariable) {
  const std::map<std::string, std::string> bad[] = {
      {{"CONTACT_VAULT_SERVER_PORT", "99999"}},
      {{"CONTACT_VAULT_SERVER_PORT", "8443x"}},
      {{"CONTACT_VAULT_SERVER_DEV_MODE", "yes"}},
      {{"CONTACT_VAULT_SERVER_PORTT", "8443"}},
      {{"CONTACT_VAULT_PORT", "http"}},
      // Checked across keys like the file: a purpose the ledger does not know.
      {{"CONTACT_VAULT_PRIVACY_CONSENT_PURPOSES", R"(["loyalty"])"}},
      {{"CONTACT_VAULT_CUSTOMERS_DEFAULT_REGION", "CAN"}},
  };
  for (const auto& env : bad) {
    Config c;
    Status st = ApplyEnvironment(c, env);
    EXPECT_FALSE(st.ok()) << env.begin()->first << "=" << env.begin()->second;
    EXPECT_EQ(st.reason(), "config_invalid");
  }
  Config c;
  Status st = ApplyEnvironment(c, {{"CONTACT_VAULT_SERVER_PORT", "99999"}});
  EXPECT_THAT(st.message(), HasSubstr("CONTACT_VAULT_SERVER_PORT"));
  EXPECT_THAT(st.message(), HasSubstr("server.port"));
}

TEST(ConfigEnvironmentTest, OtherNamesAreIgnoredAndOlderNamesStillWork) {
  Config c;
  Status st = ApplyEnvironment(c, {{"CONTACT_VAULT_TOKEN", "cvk_x_y"},
                                   {"CONTACT_VAULT_SERVER", "https://localhost:8443"},
                                   {"CONTACT_VAULT_CA_CERT", "/tmp/ca.pem"},
                                   {"CONTACT_VAULT_DATA_DIR", "/var/lib/cv"},
                                   {"CONTACT_VAULT_PORT", "7443"},
                                   {"CONTACT_VAULT_ROOT_KEY_FILE", "/run/secrets/root_key"},
                                   {"OTHER_SERVER_PORT", "1"}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.data_dir, "/var/lib/cv");
  EXPECT_EQ(c.port, 7443);
  EXPECT_EQ(c.root_key_file, "/run/secrets/root_key");
  // The newer name wins over the older one.
  Config d;
  ASSERT_TRUE(
      ApplyEnvironment(d, {{"CONTACT_VAULT_PORT", "7443"}, {"CONTACT_VAULT_SERVER_PORT", "9443"}})
          .ok());
  EXPECT_EQ(d.port, 9443);
}

TEST(ConfigEnvironmentTest, TheFileIsKeptWhereTheEnvironmentIsSilent) {
  Config c = Parsed("[server]\nport = 9000\n[storage]\ndata_dir = \"/data\"\n");
  ASSERT_TRUE(ApplyEnvironment(
                  c, {{"CONTACT_VAULT_LOG_LEVEL", "debug"}, {"CONTACT_VAULT_SERVER_LISTEN", ""}})
                  .ok());
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.data_dir, "/data");
  EXPECT_EQ(c.listen, "127.0.0.1");  // an empty value overrides nothing
}

}  // namespace
}  // namespace vault
