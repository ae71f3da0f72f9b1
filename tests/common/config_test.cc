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

TEST(ConfigFrontTest, EveryFrontLimitIsAKey) {
  Config c = Parsed(
      "[front]\nio_threads = 3\nmax_queued_requests = 7\nmax_request_line_bytes = 2048\n"
      "max_header_bytes = 4096\nmax_header_fields = 20\nmin_body_bytes_per_second = 99\n"
      "idle_timeout_seconds = 30\nmax_connections = 500\nmax_connections_per_client = 50\n"
      "retry_after_seconds = 5\n[metrics]\nlisten = \"[::1]:9000\"\n");
  EXPECT_EQ(c.io_threads, 3);
  EXPECT_EQ(c.max_queued_requests, 7);
  EXPECT_EQ(c.max_request_line_bytes, 2048);
  EXPECT_EQ(c.max_header_bytes, 4096);
  EXPECT_EQ(c.max_header_fields, 20);
  EXPECT_EQ(c.min_body_bytes_per_second, 99);
  EXPECT_EQ(c.idle_timeout_seconds, 30);
  EXPECT_EQ(c.max_connections, 500);
  EXPECT_EQ(c.max_connections_per_client, 50);
  EXPECT_EQ(c.retry_after_seconds, 5);
  EXPECT_EQ(c.metrics_listen, "[::1]:9000");
  // The defaults are the front's own.
  Config d;
  EXPECT_EQ(d.max_header_bytes, 16 * 1024);
  EXPECT_EQ(d.max_header_fields, 100);
  EXPECT_EQ(d.max_request_line_bytes, 8 * 1024);
  EXPECT_EQ(d.metrics_listen, "127.0.0.1:9464");
}

TEST(ConfigFrontTest, NonsenseIsRefusedAtStartNamingTheKey) {
  const std::pair<std::string, std::string> bad[] = {
      {"[front]\nmax_header_bytes = 0\n", "front.max_header_bytes"},
      {"[front]\nmax_header_bytes = -5\n", "front.max_header_bytes"},
      {"[front]\nmax_header_fields = 1000000\n", "front.max_header_fields"},
      {"[front]\nmax_request_line_bytes = \"8k\"\n", "front.max_request_line_bytes"},
      {"[front]\nmin_body_bytes_per_second = 0\n", "front.min_body_bytes_per_second"},
      {"[front]\nidle_timeout_seconds = 0\n", "front.idle_timeout_seconds"},
      {"[front]\nmax_connections = 0\n", "front.max_connections"},
      {"[front]\nio_threads = 100000\n", "front.io_threads"},
      {"[front]\nmax_connections = 10\nmax_connections_per_client = 11\n",
       "front.max_connections_per_client"},
      {"[front]\nmax_conections = 10\n", "front.max_conections"},
      {"[metrics]\nlisten = \"9464\"\n", "metrics.listen"},
      {"[metrics]\nlisten = \"127.0.0.1:65536\"\n", "metrics.listen"},
      {"[metrics]\nlisten = \"example.com:9464\"\n", "metrics.listen"},
      {"[metrics]\nlisten = \"127.0.0.1:\"\n", "metrics.listen"},
      {"[metrics]\nlisten = \"no\"\n", "metrics.listen"},
  };
  for (const auto& [toml, key] : bad) {
    auto config = ParseConfig(toml, "test.toml");
    ASSERT_FALSE(config.ok()) << toml;
    EXPECT_EQ(config.status().reason(), "config_invalid");
    EXPECT_THAT(config.status().message(), HasSubstr(key)) << toml;
  }
  EXPECT_TRUE(ParseConfig("[metrics]\nlisten = \"off\"\n", "t").ok());
  EXPECT_TRUE(ParseConfig("[metrics]\nlisten = \"localhost:0\"\n", "t").ok());
}

TEST(ConfigFrontTest, TheEnvironmentSetsFrontLimits) {
  Config c;
  Status st = ApplyEnvironment(c, {{"CONTACT_VAULT_FRONT_MAX_HEADER_FIELDS", "40"},
                                   {"CONTACT_VAULT_FRONT_MAX_CONNECTIONS_PER_CLIENT", "64"},
                                   {"CONTACT_VAULT_METRICS_LISTEN", "off"}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.max_header_fields, 40);
  EXPECT_EQ(c.max_connections_per_client, 64);
  EXPECT_EQ(c.metrics_listen, "off");
  Config d;
  st = ApplyEnvironment(d, {{"CONTACT_VAULT_FRONT_MAX_CONNECTIONS_PER_CLIENT", "20000"}});
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("front.max_connections_per_client"));
}

}  // namespace
}  // namespace vault
