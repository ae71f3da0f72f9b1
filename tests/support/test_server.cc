#include "support/test_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "common/log.h"
#include "http/dev_cert.h"
#include "store/vault_tables.h"

namespace vault::testing {
namespace {

// The contract file of this process, opened once for appending.
int ContractFd() {
  static const int fd = [] {
    std::filesystem::path dir = std::filesystem::path(BinaryDir()) / "contract" / "exchanges";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string file = (dir / (std::to_string(::getpid()) + ".jsonl")).string();
    return ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }();
  return fd;
}

// One line per response, in one write() so concurrent writers never interleave.
void RecordExchange(const Response& r) {
  int fd = ContractFd();
  if (fd < 0) return;
  Json line = {{"method", r.method},
               {"path", r.path.substr(0, r.path.find('?'))},
               {"status", r.status},
               {"content_type", r.Header("Content-Type")},
               {"body", r.body}};
  if (r.status == 429) {
    // A 429's headers are part of its contract (Retry-After): record them so
    // the check holds them to the document. Others are left out on purpose.
    Json headers = Json::object();
    for (const auto& [name, value] : r.headers) {
      if (!headers.contains(name)) headers[name] = value;
    }
    line["headers"] = std::move(headers);
  }
  std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  ssize_t n = ::write(fd, text.data(), text.size());
  (void)n;
}

}  // namespace

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

std::string Response::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return "";
}

std::string Response::Code() const {
  if (body.is_object() && body.contains("code") && body["code"].is_string()) {
    return body["code"].get<std::string>();
  }
  return "";
}

TestClient::TestClient(int port, const std::string& ca_cert_path) : client_("127.0.0.1", port) {
  client_.set_ca_cert_path(ca_cert_path.c_str());
  client_.enable_server_certificate_verification(true);
  client_.set_connection_timeout(std::chrono::seconds(5));
  client_.set_read_timeout(std::chrono::seconds(20));
  client_.set_write_timeout(std::chrono::seconds(20));
  client_.set_keep_alive(true);
  client_.set_tcp_nodelay(true);
}

Response TestClient::Send(const std::string& method, const std::string& path,
                          const httplib::Headers& headers, const std::string& body,
                          const std::string& content_type) {
  return DoSend(method, path, headers, body, content_type, /*record=*/true);
}

Response TestClient::SendOffContract(const std::string& method, const std::string& path,
                                     const httplib::Headers& headers, const std::string& body,
                                     const std::string& content_type) {
  return DoSend(method, path, headers, body, content_type, /*record=*/false);
}

Response TestClient::DoSend(const std::string& method, const std::string& path,
                            const httplib::Headers& headers, const std::string& body,
                            const std::string& content_type, bool record) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = headers;
  req.body = body;
  if (!content_type.empty()) req.headers.emplace("Content-Type", content_type);
  Response out;
  out.method = method;
  out.path = path;
  auto result = client_.send(req);
  if (!result) {
    ADD_FAILURE() << method << " " << path << ": no response ("
                  << httplib::to_string(result.error()) << ")";
    return out;
  }
  out.status = result->status;
  out.headers = result->headers;
  out.text = result->body;
  if (!out.text.empty()) {
    Json parsed = Json::parse(out.text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) out.body = std::move(parsed);
  }
  if (record) RecordExchange(out);
  std::lock_guard lock(mu_);
  history_.push_back(out);
  return out;
}

Response TestClient::JsonRequest(const std::string& method, const std::string& path,
                                 const std::string& token, const Json* body) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  if (body == nullptr) return Send(method, path, headers, "", "");
  return Send(method, path, headers, body->dump(), "application/json");
}

Response TestClient::Get(const std::string& path, const std::string& token) {
  return JsonRequest("GET", path, token, nullptr);
}
Response TestClient::Post(const std::string& path, const std::string& token, const Json& body) {
  return JsonRequest("POST", path, token, &body);
}
Response TestClient::Patch(const std::string& path, const std::string& token, const Json& body) {
  return JsonRequest("PATCH", path, token, &body);
}
Response TestClient::Delete(const std::string& path, const std::string& token) {
  return JsonRequest("DELETE", path, token, nullptr);
}

std::vector<Response> TestClient::History() const {
  std::lock_guard lock(mu_);
  return history_;
}

TestServer::TestServer(const TestServerOptions& options)
    : vault_(MakeTestVault()), logs_(std::make_shared<LogCapture>()) {
  if (sodium_init() < 0) std::abort();
  // Capture every line, debug included, so the PII sweep sees all of them.
  std::weak_ptr<LogCapture> sink = logs_;
  log::SetSink([sink](std::string_view line) {
    if (auto logs = sink.lock()) {
      std::lock_guard lock(logs->mu);
      logs->lines.emplace_back(line);
    }
  });
  log::SetLevel(log::Level::kDebug);

  Config config;
  config.listen = "127.0.0.1";
  config.port = 0;
  config.threads = 8;
  config.metrics_listen = "127.0.0.1:0";
  config.data_dir = vault_->data_dir;
  cert_path_ = vault_->dir.path() + "/tls/cert.pem";
  key_path_ = vault_->dir.path() + "/tls/key.pem";
  config.tls_cert = cert_path_;
  config.tls_key = key_path_;
  config.policy_file = SourceDir() + "/config/policy.toml";
  if (options.configure) options.configure(config);
  Status cert = http::EnsureDevCertificate(cert_path_, key_path_);
  if (!cert.ok()) {
    ADD_FAILURE() << cert.ToString();
    return;
  }

  auto policy = policy::Policy::LoadFile(config.policy_file);
  if (!policy.ok()) {
    ADD_FAILURE() << policy.status().ToString();
    return;
  }
  policy_.emplace(std::move(policy).value());

  http::WiringOptions wiring;
  wiring.auth = http::AuthOptionsFrom(config);
  wiring.auth.password_ops = crypto_pwhash_OPSLIMIT_MIN;
  wiring.auth.password_mem = crypto_pwhash_MEMLIMIT_MIN;
  wiring.auth_clock = [this] { return SystemNowMillis() + clock_offset_ms_.load(); };
  wiring.rotation = options.rotation;
  services_ = std::make_unique<http::Services>(
      config,
      http::VaultParts{vault_->store(), vault_->keys(), *vault_->open.root, *vault_->customers,
                       *policy_},
      std::move(wiring));

  server_ = std::make_unique<http::HttpServer>(app().config, app());
  auto port = server_->Bind();
  if (!port.ok()) {
    ADD_FAILURE() << port.status().ToString();
    return;
  }
  port_ = *port;
  if (!server_->tls()) ADD_FAILURE() << "the test server must serve TLS";
  serve_thread_ = std::thread([this] { server_->Serve(); });

  // The socket listens already; one answered request proves the accept loop
  // runs (so Stop() cannot come too early). Not recorded as an exchange.
  httplib::SSLClient probe("127.0.0.1", port_);
  probe.set_ca_cert_path(cert_path_.c_str());
  probe.enable_server_certificate_verification(true);
  probe.set_connection_timeout(std::chrono::seconds(5));
  probe.set_read_timeout(std::chrono::seconds(10));
  auto ready = probe.Get("/healthz");
  if (!ready || ready->status != 200) {
    ADD_FAILURE() << "the test server does not answer /healthz over verified TLS";
  }
  client_ = NewClient();
}

TestServer::~TestServer() {
  Shutdown();
  log::SetSink({});
  log::SetLevel(log::Level::kInfo);
}

void TestServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  client_.reset();
  if (server_ && serve_thread_.joinable()) {
    server_->Stop();
    serve_thread_.join();
  }
  server_.reset();
  services_.reset();
  if (vault_) vault_->Close();
}

std::string TestServer::Metrics() const {
  if (metrics_port() == 0) return "";
  httplib::Client client("127.0.0.1", metrics_port());
  client.set_read_timeout(std::chrono::seconds(10));
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) {
    ADD_FAILURE() << "GET /metrics on the metrics listener failed";
    return "";
  }
  return res->body;
}

std::unique_ptr<TestClient> TestServer::NewClient() const {
  return std::make_unique<TestClient>(port_, cert_path_);
}

std::string TestServer::CreateEmployee(const std::string& username, const std::string& role) {
  auth::NewEmployee e;
  e.username = username;
  e.roles = {role};
  auto row = services_->auth().CreateEmployee(e);
  if (!row.ok()) {
    ADD_FAILURE() << "CreateEmployee " << username << ": " << row.status().ToString();
    return "";
  }
  return IssueToken("employee", username).token;
}

std::string TestServer::CreateServiceAccount(const std::string& name, const std::string& role) {
  auto row = services_->auth().CreateServiceAccount(name, {role});
  if (!row.ok()) {
    ADD_FAILURE() << "CreateServiceAccount " << name << ": " << row.status().ToString();
    return "";
  }
  return IssueToken("service", name).token;
}

auth::IssuedToken TestServer::IssueToken(const std::string& kind, const std::string& name,
                                         std::optional<int64_t> expires_at_ms) {
  auto issued = services_->auth().IssueToken(kind, name, "test", expires_at_ms);
  if (!issued.ok()) {
    ADD_FAILURE() << "IssueToken " << kind << ":" << name << ": " << issued.status().ToString();
    return {};
  }
  return std::move(issued).value();
}

std::string TestServer::CreateCustomer(const std::optional<std::string>& email,
                                       const std::optional<std::string>& phone,
                                       const std::optional<std::string>& name) {
  service::CustomerInput in{email, phone, name};
  auto c = vault_->customers->Create(in);
  if (!c.ok()) {
    ADD_FAILURE() << "CreateCustomer: " << c.status().ToString();
    return "";
  }
  return c->id;
}

int64_t TestServer::CountCustomers() {
  int64_t n = -1;
  Status st = vault_->store().Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(n, store::CountCustomers(db));
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return n;
}

std::vector<store::AuditRow> TestServer::AuditAfter(int64_t after_seq) {
  std::vector<store::AuditRow> rows;
  Status st = vault_->store().Read([&](store::Database& db) -> Status {
    return store::ScanAudit(db, after_seq, [&](const store::AuditRow& row) -> Status {
      rows.push_back(row);
      return Status::Ok();
    });
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return rows;
}

int64_t TestServer::LastAuditSeq() {
  int64_t seq = 0;
  Status st = vault_->store().Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto last, store::LastAuditRow(db));
    seq = last ? last->seq : 0;
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return seq;
}

std::vector<std::string> TestServer::LogLines() const {
  log::Flush();  // the logger is asynchronous: every line logged so far
  std::lock_guard lock(logs_->mu);
  return logs_->lines;
}

}  // namespace vault::testing
