// TestServer: the real Contact Vault server, in-process, on 127.0.0.1 port 0
// over real TLS (a fresh self-signed certificate), with a fresh vault, the
// shipped policy (config/policy.toml), and every service wired as main.cc
// wires them. Log lines are captured for PII checks. TestClient speaks HTTPS
// to it, verifying the server's certificate, and records every response it
// receives as one JSON line in $VAULT_BINARY_DIR/contract/exchanges/<pid>.jsonl
// for the OpenAPI contract check.
//
// One TestServer at a time per process (it owns the global log sink).
// TestClient is thread-safe; use one per thread for real concurrency.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "common/config.h"
#include "http/metrics.h"
#include "http/routes.h"
#include "http/server.h"
#include "http/wiring.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/admin_service.h"
#include "service/customer_service.h"
#include "service/health_service.h"
#include "service/idempotency.h"
#include "service/key_rotation.h"
#include "service/session_service.h"
#include "store/audit_tables.h"
#include "support/test_vault.h"

namespace vault::testing {

using Json = nlohmann::json;

// One HTTP response as the client saw it.
struct Response {
  int status = 0;  // 0: no response (connection failed)
  httplib::Headers headers;
  std::string text;  // the raw body
  Json body;         // parsed JSON; null when empty or not JSON
  std::string method, path;

  std::string Header(const std::string& name) const;
  // body["code"] for a problem+json, else "".
  std::string Code() const;
};

// An HTTPS client for one TestServer. Every response is recorded (history and
// the contract file). Thread-safe (requests are serialized per client).
class TestClient {
 public:
  TestClient(int port, const std::string& ca_cert_path);
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // `token` "" sends no Authorization header.
  Response Get(const std::string& path, const std::string& token = "");
  Response Post(const std::string& path, const std::string& token, const Json& body);
  Response Patch(const std::string& path, const std::string& token, const Json& body);
  Response Delete(const std::string& path, const std::string& token);
  // Full control: any headers (Authorization included) and a raw body sent
  // with `content_type` (none when empty).
  Response Send(const std::string& method, const std::string& path, const httplib::Headers& headers,
                const std::string& body, const std::string& content_type);
  // As Send, but kept out of the contract file: for probes of paths or
  // methods the API does not have (the contract covers documented ones).
  Response SendOffContract(const std::string& method, const std::string& path,
                           const httplib::Headers& headers = {}, const std::string& body = "",
                           const std::string& content_type = "");

  // Every response this client received, oldest first.
  std::vector<Response> History() const;

 private:
  Response JsonRequest(const std::string& method, const std::string& path, const std::string& token,
                       const Json* body);
  Response DoSend(const std::string& method, const std::string& path,
                  const httplib::Headers& headers, const std::string& body,
                  const std::string& content_type, bool record);

  httplib::SSLClient client_;
  mutable std::mutex mu_;
  std::vector<Response> history_;  // GUARDED_BY(mu_)
};

struct TestServerOptions {
  // Adjusts the config before the server starts (limits, threads).
  std::function<void(Config&)> configure;
  // The key rotator's batch size and pause between batches.
  service::RotationOptions rotation;
};

class TestServer {
 public:
  explicit TestServer(const TestServerOptions& options = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  // The plain-HTTP loopback listener that serves /metrics (metrics.listen).
  int metrics_port() const { return server_ ? server_->metrics_port() : 0; }
  // GET /metrics from that listener: the exposition text ("" on failure).
  std::string Metrics() const;
  const std::string& cert_path() const { return cert_path_; }
  const std::string& data_dir() const { return vault_->data_dir; }
  const std::string& db_path() const { return vault_->db_path; }

  // The shared client, and new ones for other threads.
  TestClient& client() { return *client_; }
  std::unique_ptr<TestClient> NewClient() const;

  // Principals made directly through AuthService (no audit entry); each
  // returns a fresh API token for it.
  std::string CreateEmployee(const std::string& username, const std::string& role);
  std::string CreateServiceAccount(const std::string& name, const std::string& role);
  // Another token for an existing principal ("employee" or "service").
  auth::IssuedToken IssueToken(const std::string& kind, const std::string& name,
                               std::optional<int64_t> expires_at_ms = std::nullopt);

  // A customer created directly through CustomerService (no audit entry).
  std::string CreateCustomer(const std::optional<std::string>& email,
                             const std::optional<std::string>& phone,
                             const std::optional<std::string>& name);
  int64_t CountCustomers();

  // Audit rows with seq > after_seq, oldest first; and the newest seq.
  std::vector<store::AuditRow> AuditAfter(int64_t after_seq);
  int64_t LastAuditSeq();

  // Moves AuthService's clock (token expiry, sessions) forward.
  void AdvanceAuthClock(int64_t ms) { clock_offset_ms_ += ms; }

  // Every log line written since the server started.
  std::vector<std::string> LogLines() const;

  // Stops serving and closes the vault (the files are then complete and can
  // be opened by another process). Idempotent; the destructor calls it.
  void Shutdown();

  http::App& app() { return services_->app(); }
  store::Store& store() { return vault_->store(); }
  crypto::KeyringHolder& keys() { return vault_->keys(); }
  audit::AuditLog& audit() { return services_->audit(); }
  auth::AuthService& auth() { return services_->auth(); }
  service::CustomerService& customers() { return *vault_->customers; }
  const policy::Policy& policy() const { return *policy_; }

 private:
  std::unique_ptr<TestVault> vault_;
  std::string cert_path_, key_path_;
  std::atomic<int64_t> clock_offset_ms_{0};
  std::optional<policy::Policy> policy_;
  std::unique_ptr<http::Services> services_;  // wired as main.cc wires them; no retention schedule
  std::unique_ptr<http::HttpServer> server_;
  std::thread serve_thread_;
  int port_ = 0;
  std::unique_ptr<TestClient> client_;
  bool shut_down_ = false;

  struct LogCapture {
    std::mutex mu;
    std::vector<std::string> lines;
  };
  std::shared_ptr<LogCapture> logs_;
};

// Case-insensitive substring test, for plaintext sweeps.
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);

}  // namespace vault::testing
