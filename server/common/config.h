// The server's settings, read from a TOML file (config/vault.toml documents
// every key) with secrets and a few deployment values also taken from the
// environment. Unknown keys are errors naming file and line, so a typo never
// silently falls back to a default. Immutable after load; thread-safe to read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace vault {

struct Config {
  // [server]
  std::string listen = "127.0.0.1";
  int port = 8443;
  std::string tls_cert;           // PEM; default <data_dir>/tls/cert.pem
  std::string tls_key;            // PEM; default <data_dir>/tls/key.pem
  bool allow_plain_http = false;  // only honoured on a loopback address
  int threads = 64;               // request worker threads (the front's worker pool)
  bool dev_mode = false;          // development conveniences (dev accounts)

  // [front]: the limits the HTTP front enforces while reading (http/front.h).
  // The body limit is limits.max_body_bytes, the whole-head deadline
  // limits.read_timeout_seconds, the worker pool's size server.threads.
  int io_threads = 0;  // 0: the number of cores
  int max_queued_requests = 1024;
  int max_request_line_bytes = 8 * 1024;
  int max_header_bytes = 16 * 1024;
  int max_header_fields = 100;
  int min_body_bytes_per_second = 1024;
  int idle_timeout_seconds = 5;
  int max_connections = 10'000;
  int max_connections_per_client = 1'000;
  int retry_after_seconds = 2;

  // [metrics]: where GET /metrics is served, plain HTTP, apart from the API
  // port: "host:port" (port 0 picks a free one), or "off". Loopback unless
  // moved on purpose.
  std::string metrics_listen = "127.0.0.1:9464";

  // [debug]
  bool allow_core_dumps = false;  // leave the process dumpable (a core holds keys)

  // [storage]
  std::string data_dir = "var/dev";
  int readers = 4;

  // [keys]
  std::string root_key_file;    // default <data_dir>/root.key
  std::string root_passphrase;  // from CONTACT_VAULT_PASSPHRASE only
  int rotation_pause_ms = 0;    // pause between key-rotation batches

  // [customers]
  std::string default_region = "CA";

  // [policy]
  std::string policy_file = "config/policy.toml";

  // [limits]
  int64_t max_body_bytes = 64 * 1024;
  int max_json_depth = 16;
  int read_timeout_seconds = 10;
  int write_timeout_seconds = 10;

  // [sessions]
  int session_idle_minutes = 15;
  int session_absolute_minutes = 480;
  int login_attempts_per_window = 5;
  int login_window_minutes = 15;
  int max_concurrent_password_hashes = 2;

  // [log]
  std::string log_level = "info";

  // [privacy]
  std::string privacy_officer_name = "Privacy Officer";
  std::string privacy_officer_email;  // shown in access exports; set it
  std::string privacy_officer_phone;
  // Purposes a customer may consent to; the ledger refuses any other.
  std::vector<std::string> consent_purposes = {"marketing_email", "marketing_sms",
                                               "share_with_partners"};
  // Notice versions a consent may cite -> SHA-256 (64 hex digits) of that
  // notice's text. The ledger records both; an unknown version is refused.
  std::map<std::string, std::string> notices = {
      {"notice-2026-11", "e62a42fa7649fc54eb005fcf2f88cc86209c7c519533623e5870224e5e4a6386"}};
  // Purpose -> the one contact field (email or phone) its marketing export
  // carries. A purpose not listed cannot be exported.
  std::map<std::string, std::string> export_fields = {{"marketing_email", "email"},
                                                      {"marketing_sms", "phone"}};

  // [retention]
  int erase_after_days_unseen = 730;  // 0: never erase for being unseen
  // Purpose -> days: a customer currently consenting to the purpose is kept
  // until unseen this long (the longest applies; each >= the global rule).
  std::map<std::string, int> retention_days_with_consent;
  int retention_schedule_minutes = 60;  // 0: only on demand

  std::string DatabasePath() const { return data_dir + "/vault.db"; }
  std::string RootKeyFile() const {
    return root_key_file.empty() ? data_dir + "/root.key" : root_key_file;
  }
  std::string TlsCertFile() const {
    return tls_cert.empty() ? data_dir + "/tls/cert.pem" : tls_cert;
  }
  std::string TlsKeyFile() const { return tls_key.empty() ? data_dir + "/tls/key.pem" : tls_key; }
};

// "127.0.0.1:9464", "[::1]:9464", "localhost:0" -> host and port; nullopt
// unless the host is an IPv4 or IPv6 address or "localhost" and the port
// 0 to 65535.
struct HostPort {
  std::string host;
  int port = 0;
};
std::optional<HostPort> ParseHostPort(std::string_view text);

// Reads `path`, then applies the process environment (ApplyEnvironment).
// InvalidArgument "file:line: …" for an unknown key, wrong type or bad value.
StatusOr<Config> LoadConfig(const std::string& path);
StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);

// Overrides for what changes per deployment (a container's environment):
// CONTACT_VAULT_<SECTION>_<KEY>, upper case, sets any key of the file, e.g.
// CONTACT_VAULT_PRIVACY_OFFICER_EMAIL or CONTACT_VAULT_SERVER_PORT, checked
// like the file. The value is read as a TOML value when it is one and the key
// takes it (8443, true, ["a", "b"]), else as a string. A name whose section
// exists but whose key does not is an error; other CONTACT_VAULT_* names (the
// CLI's CONTACT_VAULT_TOKEN, ...) are ignored. CONTACT_VAULT_DATA_DIR,
// CONTACT_VAULT_PORT and CONTACT_VAULT_ROOT_KEY_FILE are older names of
// three of them. CONTACT_VAULT_PASSPHRASE sets the root passphrase (no key of
// the file holds a secret). InvalidArgument "NAME: …" for a bad value.
Status ApplyEnvironment(Config& config, const std::map<std::string, std::string>& environment);

// The process's environment as a map, for ApplyEnvironment.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace vault
