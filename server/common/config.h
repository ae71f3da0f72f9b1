// The server's settings, read from a TOML file (config/vault.toml documents
// every key) with secrets and a few deployment values also taken from the
// environment. Unknown keys are errors naming file and line, so a typo never
// silently falls back to a default. Immutable after load; thread-safe to read.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace vault {

struct Config {
  // [server]
  std::string listen = "127.0.0.1";
  int port = 8443;
  std::string tls_cert;            // PEM; default <data_dir>/tls/cert.pem
  std::string tls_key;             // PEM; default <data_dir>/tls/key.pem
  bool allow_plain_http = false;   // only honoured on a loopback address
  int threads = 16;
  bool dev_mode = false;           // development conveniences (dev accounts)

  // [storage]
  std::string data_dir = "var/dev";
  int readers = 4;

  // [keys]
  std::string root_key_file;       // default <data_dir>/root.key
  std::string root_passphrase;     // from CONTACT_VAULT_PASSPHRASE only

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

  std::string DatabasePath() const { return data_dir + "/vault.db"; }
  std::string RootKeyFile() const {
    return root_key_file.empty() ? data_dir + "/root.key" : root_key_file;
  }
  std::string TlsCertFile() const {
    return tls_cert.empty() ? data_dir + "/tls/cert.pem" : tls_cert;
  }
  std::string TlsKeyFile() const {
    return tls_key.empty() ? data_dir + "/tls/key.pem" : tls_key;
  }
};

// Reads `path`, then applies the environment: CONTACT_VAULT_DATA_DIR,
// CONTACT_VAULT_PORT, CONTACT_VAULT_ROOT_KEY_FILE, CONTACT_VAULT_PASSPHRASE.
// InvalidArgument "file:line: …" for an unknown key, wrong type or bad value.
StatusOr<Config> LoadConfig(const std::string& path);
StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);
void ApplyEnvironment(Config& config);

}  // namespace vault
