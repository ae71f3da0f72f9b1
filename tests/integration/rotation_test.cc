// Key rotation against a live server:
//  - data and index rotation over 20,000 records on the in-process server
//    (real TLS) while threads search, reveal, read and create: no failed
//    request, no missed lookup, no record left on an old key; prints the
//    rewrap rate and lookup latency before and during the jobs;
//  - the real server binary killed with SIGKILL mid-rotation and restarted:
//    the job resumes from its checkpoint and completes, every record
//    decrypts, the audit chain holds;
//  - `contact-vault keys rotate --watch` on a pipe prints plain lines.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "service/customer_service.h"
#include "service/vault.h"
#include "store/key_tables.h"
#include "store/vault_tables.h"
#include "support/child_process.h"
#include "support/real_vault.h"
#include "support/test_server.h"
#include "support/test_vault.h"

extern char** environ;

namespace vault {
namespace {

using testing::ChildProcess;
using testing::Json;
using testing::TempDir;
using SteadyClock = std::chrono::steady_clock;

constexpr int kRecords = 20'000;
constexpr int kSeedThreads = 64;  // group commit batches their writes
constexpr int kRotationPauseMs = 5;

std::string Email(int i) { return "rot" + std::to_string(i) + "@example-shop.test"; }
std::string Name(int i) { return "Ottoline Keyturn " + std::to_string(i); }
// 1,000 distinct fictional numbers (555-0100..0199 under ten area codes).
std::string Phone(int i) {
  static constexpr const char* kAreaCodes[] = {"514", "438", "450", "416", "647",
                                               "604", "778", "613", "403", "905"};
  return std::string("+1") + kAreaCodes[(i / 100) % 10] + "5550" + std::to_string(100 + i % 100);
}
bool HasPhone(int i) { return i < 1000; }

double Millis(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Creates customers 0..n-1 through CustomerService from a few threads (group
// commit batches them). Returns their ids by index; prints the rate.
std::vector<std::string> Seed(service::CustomerService& customers, int n) {
  std::vector<std::string> ids(n);
  std::atomic<int> failures{0};
  auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kSeedThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += kSeedThreads) {
        service::CustomerInput in;
        in.email = Email(i);
        if (HasPhone(i)) in.phone = Phone(i);
        in.name = Name(i);
        auto c = customers.Create(in);
        if (!c.ok()) {
          if (failures++ == 0) ADD_FAILURE() << "seed " << i << ": " << c.status().ToString();
          continue;
        }
        ids[i] = c->id;
      }
    });
  }
  for (auto& th : threads) th.join();
  double secs = Millis(SteadyClock::now() - start) / 1000;
  std::printf("[ figures  ] seeded %d customers in %.2f s (%.0f creates/s, %d threads)\n", n, secs,
              n / secs, kSeedThreads);
  EXPECT_EQ(failures.load(), 0);
  return ids;
}

struct Percentiles {
  size_t n = 0;
  double p50 = 0, p99 = 0;
};
Percentiles Of(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  p.p50 = v[v.size() / 2];
  p.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  return p;
}

// ---------------------------------------------------------------------------
// In-process server under load.

enum Phase { kBefore = 0, kDataRotation = 1, kBetween = 2, kIndexRotation = 3, kPhases = 4 };
constexpr const char* kPhaseNames[] = {"before rotation", "during data rotation", "between",
                                       "during index rotation"};

// A role for the load: every customer action this test drives, limits far
// above the load (the shipped roles' lookup limits would throttle it).
constexpr char kLoadRole[] = R"(
[roles.rotation_load]
description = "Rotation load test: searches, reveals, reads and creates."
actions = ["customer.create", "customer.search", "customer.read", "customer.reveal"]
fields = { email = "plaintext", phone = "plaintext", name = "plaintext" }
reveal_quota_per_hour = 1000000
lookups_per_minute = 1000000
)";

// The id in a JSON response body, or "" when there is none.
std::string IdIn(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_object() && j["id"].is_string() ? j["id"].get<std::string>() : "";
}

// Lets the writer thread pause between requests, so a rotation can start
// with no create in flight (its total is then exact).
class CreateGate {
 public:
  void Enter() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !paused_; });
    ++in_flight_;
  }
  void Leave() {
    std::lock_guard lock(mu_);
    --in_flight_;
    cv_.notify_all();
  }
  void Pause() {
    std::unique_lock lock(mu_);
    paused_ = true;
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }
  void Resume() {
    std::lock_guard lock(mu_);
    paused_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = false;  // GUARDED_BY(mu_)
  int in_flight_ = 0;    // GUARDED_BY(mu_)
};

class Load {
 public:
  Load(int port, std::string cert, const std::vector<std::string>& ids)
      : port_(port), cert_(std::move(cert)), ids_(ids) {}

  std::atomic<int> phase{kBefore};
  CreateGate create_gate;

  void Run(const std::string& token, int kind, int seed) {
    httplib::SSLClient client("127.0.0.1", port_);
    client.set_ca_cert_path(cert_.c_str());
    client.enable_server_certificate_verification(true);
    client.set_keep_alive(true);
    // Headers and body leave in one segment (without it, a POST's body waits
    // for the server's delayed ACK of the headers: ~40 ms per search).
    client.set_tcp_nodelay(true);
    client.set_read_timeout(std::chrono::seconds(20));
    httplib::Headers auth = {{"Authorization", "Bearer " + token}};
    uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(seed + 1);
    int created = 0;
    while (!stop_.load()) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      int i = static_cast<int>((x >> 33) % ids_.size());
      int p = phase.load();
      auto t0 = SteadyClock::now();
      std::string problem;
      switch (kind) {
        case 0: {  // search by email, or by phone for the first 1,000
          bool by_phone = HasPhone(i) && (x & 3) == 0;
          Json body = by_phone ? Json{{"phone", Phone(i)}} : Json{{"email", Email(i)}};
          auto r = client.Post("/v1/customers/search", auth, body.dump(), "application/json");
          if (!r || r->status != 200) {
            problem = "search: " + Describe(r);
          } else {
            Json j = Json::parse(r->body, nullptr, false);
            if (!j.is_object() || !j["matches"].is_array() || j["matches"].size() != 1 ||
                IdIn(j["matches"][0].dump()) != ids_[i]) {
              misses_++;
              problem = "search missed " + ids_[i] + ": " + r->body.substr(0, 200);
            }
          }
          Lookup(p, Millis(SteadyClock::now() - t0));
          break;
        }
        case 1: {  // reveal: decrypts through the record's DEK
          Json body = {{"fields", {"email", "name"}}, {"reason", "key rotation load test"}};
          auto r = client.Post("/v1/customers/" + ids_[i] + "/reveal", auth, body.dump(),
                               "application/json");
          if (!r || r->status != 200) {
            problem = "reveal: " + Describe(r);
          } else {
            Json j = Json::parse(r->body, nullptr, false);
            if (!j.is_object() || !j["values"].is_object() ||
                j["values"].value("email", "") != Email(i) ||
                j["values"].value("name", "") != Name(i)) {
              problem = "reveal returned the wrong plaintext for " + ids_[i];
            }
          }
          break;
        }
        case 2: {  // read: decrypts to mask
          auto r = client.Get("/v1/customers/" + ids_[i], auth);
          if (!r || r->status != 200) {
            problem = "get: " + Describe(r);
          } else if (IdIn(r->body) != ids_[i]) {
            problem = "get returned another record";
          }
          break;
        }
        case 3: {  // create
          create_gate.Enter();
          p = phase.load();
          Json body = {{"email", "live" + std::to_string(seed) + "-" + std::to_string(created) +
                                     "@example-shop.test"},
                       {"name", "Live Writer"}};
          auto r = client.Post("/v1/customers", auth, body.dump(), "application/json");
          if (!r || r->status != 201) {
            problem = "create: " + Describe(r);
          } else {
            ++created;
            std::lock_guard lock(mu_);
            created_[p].push_back(IdIn(r->body));
          }
          create_gate.Leave();
          break;
        }
      }
      std::lock_guard lock(mu_);
      requests_[p]++;
      if (!problem.empty() && failures_.size() < 1000) failures_.push_back(problem);
    }
  }

  void Stop() { stop_ = true; }
  int misses() const { return misses_.load(); }
  std::vector<std::string> failures() {
    std::lock_guard lock(mu_);
    return failures_;
  }
  int requests(int p) {
    std::lock_guard lock(mu_);
    return requests_[p];
  }
  std::vector<std::string> created(int p) {
    std::lock_guard lock(mu_);
    return created_[p];
  }
  Percentiles lookups(int p) {
    std::lock_guard lock(mu_);
    return Of(lookup_ms_[p]);
  }

 private:
  static std::string Describe(const httplib::Result& r) {
    if (!r) return "no response (" + httplib::to_string(r.error()) + ")";
    return std::to_string(r->status) + " " + r->body.substr(0, 200);
  }
  void Lookup(int p, double ms) {
    std::lock_guard lock(mu_);
    lookup_ms_[p].push_back(ms);
  }

  int port_;
  std::string cert_;
  const std::vector<std::string>& ids_;
  std::atomic<bool> stop_{false};
  std::atomic<int> misses_{0};
  std::mutex mu_;
  std::vector<std::string> failures_;          // GUARDED_BY(mu_)
  int requests_[kPhases] = {};                 // GUARDED_BY(mu_)
  std::vector<double> lookup_ms_[kPhases];     // GUARDED_BY(mu_)
  std::vector<std::string> created_[kPhases];  // GUARDED_BY(mu_)
};

int64_t RecordsOf(const Json& keys, uint32_t id) {
  for (const auto& k : keys["keys"]) {
    if (k.value("id", 0u) == id) return k.value("records", int64_t{-1});
  }
  return -1;
}

std::string StateOf(const Json& keys, uint32_t id) {
  for (const auto& k : keys["keys"]) {
    if (k.value("id", 0u) == id) return k.value("state", "");
  }
  return "";
}

TEST(RotationTest, DataAndIndexRotationUnderLiveTrafficMissNothing) {
  TempDir tmp;
  std::string policy_file = tmp.path() + "/policy.toml";
  {
    std::ofstream out(policy_file);
    out << testing::ReadFileBytes(testing::SourceDir() + "/config/policy.toml") << kLoadRole;
    ASSERT_TRUE(out.good());
  }
  testing::TestServerOptions options;
  options.configure = [&](Config& config) { config.policy_file = policy_file; };
  // ~80 batches with a pause after each: every job lasts at least ~0.4 s
  // however fast the machine, so the load overlaps it.
  options.rotation.pause_ms = kRotationPauseMs;
  testing::TestServer server(options);
  ASSERT_GT(server.port(), 0);
  std::string admin = server.CreateEmployee("keyadmin", "admin");

  std::vector<std::string> ids = Seed(server.customers(), kRecords);
  ASSERT_EQ(server.CountCustomers(), kRecords);

  Load load(server.port(), server.cert_path(), ids);
  constexpr int kKinds[] = {0, 0, 1, 2, 3};  // two searchers, a revealer, a reader, a writer
  std::vector<std::thread> workers;
  for (int w = 0; w < static_cast<int>(std::size(kKinds)); ++w) {
    std::string token = server.CreateServiceAccount("load-" + std::to_string(w), "rotation_load");
    workers.emplace_back([&load, token, kind = kKinds[w], w] { load.Run(token, kind, w); });
  }
  auto& api = server.client();

  // Runs one rotation to its end while the load runs; returns the final progress.
  auto rotate = [&](const char* purpose, Phase during) -> Json {
    testing::Response started;
    // No create is in flight while the job starts, so its total is exact.
    load.create_gate.Pause();
    started = api.Post("/v1/admin/keys/rotate", admin, {{"purpose", purpose}});
    load.phase = during;
    load.create_gate.Resume();
    EXPECT_EQ(started.status, 202) << started.text;
    EXPECT_EQ(started.body.value("state", ""), "running");
    Json progress;
    auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      auto r = api.Get("/v1/admin/keys/rotation", admin);
      EXPECT_EQ(r.status, 200) << r.text;
      progress = r.body;
    } while (progress.value("state", "") == "running" && SteadyClock::now() < deadline);
    load.phase = kBetween;
    EXPECT_EQ(progress.value("state", ""), "done") << progress.dump();
    EXPECT_EQ(progress.value("job_id", 0), started.body.value("job_id", -1));
    // Creates made during the job were written under the new key: the job
    // rewrapped exactly the records that existed when it started.
    EXPECT_EQ(progress.value("done", int64_t{-1}), started.body.value("total", int64_t{-2}))
        << progress.dump();
    EXPECT_EQ(progress.value("total", int64_t{-1}), started.body.value("total", int64_t{-2}));
    return progress;
  };

  // Baseline lookups first.
  while (load.lookups(kBefore).n < 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Json data = rotate("data", kDataRotation);
  Json index = rotate("index", kIndexRotation);
  load.Stop();
  for (auto& w : workers) w.join();

  auto failures = load.failures();
  EXPECT_EQ(failures.size(), 0u) << failures.size() << " failed requests, first: "
                                 << (failures.empty() ? "" : failures[0]);
  EXPECT_EQ(load.misses(), 0);
  // The load really overlapped both jobs.
  EXPECT_GE(load.requests(kDataRotation), 20);
  EXPECT_GE(load.requests(kIndexRotation), 20);
  EXPECT_GE(load.lookups(kDataRotation).n, 5u);
  EXPECT_GE(load.lookups(kIndexRotation).n, 5u);

  uint32_t old_data = data.value("old_key_id", 0u), new_data = data.value("new_key_id", 0u);
  uint32_t old_index = index.value("old_key_id", 0u), new_index = index.value("new_key_id", 0u);
  int64_t total = server.CountCustomers();
  auto keys = api.Get("/v1/admin/keys", admin);
  ASSERT_EQ(keys.status, 200) << keys.text;
  EXPECT_EQ(RecordsOf(keys.body, old_data), 0) << keys.text;
  EXPECT_EQ(RecordsOf(keys.body, old_index), 0) << keys.text;
  EXPECT_EQ(RecordsOf(keys.body, new_data), total) << keys.text;
  EXPECT_EQ(RecordsOf(keys.body, new_index), total) << keys.text;
  EXPECT_EQ(StateOf(keys.body, old_data), "decrypt_only");
  EXPECT_EQ(StateOf(keys.body, new_index), "active");

  // Records created during each job are under its new key.
  for (auto [phase, key, is_data] :
       {std::tuple{kDataRotation, new_data, true}, std::tuple{kIndexRotation, new_index, false}}) {
    for (const auto& id : load.created(phase)) {
      std::optional<store::CustomerRow> row;
      ASSERT_TRUE(server.store()
                      .Read([&](store::Database& db) -> Status {
                        ASSIGN_OR_RETURN(row, store::FindCustomer(db, id));
                        return Status::Ok();
                      })
                      .ok());
      ASSERT_TRUE(row.has_value()) << id;
      EXPECT_EQ(is_data ? row->dek_key_id : row->email_idx_key_id, key) << id;
    }
  }
  auto verified = server.audit().Verify();
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->intact) << verified->problem;

  // Figures for the closing note.
  for (auto [name, p] : {std::pair{"data", &data}, std::pair{"index", &index}}) {
    double ms = static_cast<double>(p->value("finished_at", int64_t{0}) -
                                    p->value("started_at", int64_t{0}));
    std::printf(
        "[ figures  ] %s rotation: %lld records in %.0f ms = %.0f records/s "
        "(API rate_per_second %.0f; paced by a %d ms pause per batch)\n",
        name, static_cast<long long>(p->value("done", int64_t{0})), ms,
        ms > 0 ? p->value("done", 0.0) * 1000.0 / ms : 0.0, p->value("rate_per_second", 0.0),
        kRotationPauseMs);
  }
  for (int p : {kBefore, kDataRotation, kIndexRotation}) {
    Percentiles l = load.lookups(p);
    std::printf(
        "[ figures  ] search latency %-22s n=%-5zu p50 %6.2f ms  p99 %6.2f ms "
        "(%d requests of all kinds; created %zu)\n",
        kPhaseNames[p], l.n, l.p50, l.p99, load.requests(p), load.created(p).size());
  }
  std::printf("[ figures  ] machine: %u hardware threads\n", std::thread::hardware_concurrency());
}

// ---------------------------------------------------------------------------
// The real binaries.

struct JobRow {
  int64_t id = 0, done = 0, total = 0;
  std::string state;
};

constexpr char kLatestJobSql[] =
    "SELECT id, state, done, total FROM rotation_jobs ORDER BY id DESC LIMIT 1";

// Reads the newest rotation job straight from the file, as another process.
std::optional<JobRow> LatestJob(store::Database& db) {
  auto q = db.Prepare(kLatestJobSql);
  if (!q.ok()) return std::nullopt;
  auto row = q->Step();
  if (!row.ok() || !*row) return std::nullopt;
  return JobRow{q->ColumnInt(0), q->ColumnInt(2), q->ColumnInt(3), q->ColumnText(1)};
}

class RealServerRotationTest : public testing::RealVaultTest {
 protected:
  // ~80 batches 20 ms apart: a job lasts over 1.5 s however fast the
  // machine, so a kill lands mid-job.
  void InitVault() { RealVaultTest::InitVault("rotation_pause_ms = 20\n"); }

  service::RootKeySource Root() const {
    service::RootKeySource root;
    root.key_file = key_file_;
    return root;
  }

  // Customers made in-process while no server runs.
  std::vector<std::string> SeedOffline(int n) {
    auto vault = service::OpenVaultAt(db_path_, Root());
    EXPECT_TRUE(vault.ok()) << vault.status().ToString();
    if (!vault.ok()) return {};
    service::CustomerService customers(*vault->store, *vault->keys, {"CA"});
    return Seed(customers, n);
  }
};

TEST_F(RealServerRotationTest, SigkillMidRotationResumesAfterRestartAndEveryRecordDecrypts) {
  InitVault();
  std::vector<std::string> ids = SeedOffline(kRecords);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kRecords));
  ASSERT_GT(StartServer(), 0);

  auto watcher =
      store::Database::Open(service::DatabasePathIn(data_dir_), store::Database::Mode::kReadOnly);
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  auto started = client_->Post("/v1/admin/keys/rotate", admin_token_, {{"purpose", "data"}});
  ASSERT_EQ(started.status, 202) << started.text;
  int64_t job_id = started.body.value("job_id", int64_t{0});
  uint32_t old_key = started.body.value("old_key_id", 0u);
  ASSERT_EQ(started.body.value("total", 0), kRecords);

  // Kill at the first checkpoint seen: some batches committed, not all.
  std::optional<JobRow> seen;
  auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  while (SteadyClock::now() < deadline) {
    seen = LatestJob(**watcher);
    if (seen && (seen->done > 0 || seen->state != "running")) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_EQ(::kill(server_->pid(), SIGKILL), 0);
  auto killed = server_->Wait(std::chrono::seconds(10));
  ASSERT_TRUE(killed.has_value());
  ASSERT_TRUE(WIFSIGNALED(*killed) && WTERMSIG(*killed) == SIGKILL);
  ASSERT_TRUE(seen.has_value());
  std::optional<JobRow> at_kill = LatestJob(**watcher);
  watcher->reset();
  ASSERT_TRUE(at_kill.has_value());
  ASSERT_EQ(at_kill->id, job_id);
  ASSERT_EQ(at_kill->state, "running") << "the job finished before the kill";
  EXPECT_GT(at_kill->done, 0);
  EXPECT_LT(at_kill->done, at_kill->total);
  std::printf("[ figures  ] killed the server at checkpoint %lld/%lld\n",
              static_cast<long long>(at_kill->done), static_cast<long long>(at_kill->total));

  // Restart: the same job resumes from its checkpoint and completes.
  ASSERT_GT(StartServer(), 0);
  Json done = WaitForRotationDone();
  EXPECT_EQ(done.value("state", ""), "done") << done.dump();
  EXPECT_EQ(done.value("job_id", int64_t{0}), job_id);
  EXPECT_EQ(done.value("done", 0), kRecords);
  EXPECT_EQ(done.value("total", 0), kRecords);
  EXPECT_NE(server_->Output().find("resuming data key rotation job " + std::to_string(job_id) +
                                   " at " + std::to_string(at_kill->done) + "/"),
            std::string::npos)
      << server_->Output();
  auto keys = client_->Get("/v1/admin/keys", admin_token_);
  ASSERT_EQ(keys.status, 200);
  EXPECT_EQ(RecordsOf(keys.body, old_key), 0) << keys.text;
  StopServer();

  // Every record decrypts, and the audit chain holds across the crash.
  auto vault = service::OpenVaultAt(db_path_, Root());
  ASSERT_TRUE(vault.ok()) << vault.status().ToString();
  service::CustomerService customers(*vault->store, *vault->keys, {"CA"});
  int bad = 0;
  for (int i = 0; i < kRecords; ++i) {
    auto c = customers.Get(ids[i]);
    if (!c.ok() || c->email != Email(i) || c->name != Name(i) ||
        (HasPhone(i) && c->phone != Phone(i))) {
      if (bad++ < 3) ADD_FAILURE() << ids[i] << ": " << c.status().ToString();
    }
  }
  EXPECT_EQ(bad, 0);
  int64_t using_old = -1;
  ASSERT_TRUE(vault->store
                  ->Read([&](store::Database& db) -> Status {
                    ASSIGN_OR_RETURN(using_old, store::RecordsUsingKey(db, old_key));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(using_old, 0);
  audit::AuditLog audit(*vault->store, *vault->keys);
  auto verified = audit.Verify();
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->intact) << verified->first_broken_seq << ": " << verified->problem;
}

TEST_F(RealServerRotationTest, CliWatchOnAPipePrintsPlainLinesUntilDone) {
  InitVault();
  ASSERT_EQ(SeedOffline(3000).size(), 3000u);
  int port = StartServer();
  ASSERT_GT(port, 0);
  std::string out;
  int code = RunCli({"keys", "rotate", "--purpose", "index", "--watch", "--server",
                     "https://127.0.0.1:" + std::to_string(port), "--token", admin_token_,
                     "--ca-cert", data_dir_ + "/tls/cert.pem"},
                    &out);
  ASSERT_EQ(code, 0) << out;
  // Not a terminal: no carriage returns, no bar, one full line per report.
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_EQ(out.find('#'), std::string::npos) << out;
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < out.size();) {
    size_t nl = out.find('\n', pos);
    lines.push_back(out.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::regex line(
      "index key rotation (running|done): [0-9]+/[0-9]+ done, [0-9]+ records/s, "
      "ETA [0-9]+ s");
  for (const auto& l : lines) EXPECT_TRUE(std::regex_match(l, line)) << "line: " << l;
  EXPECT_TRUE(lines.back().starts_with("index key rotation done: 3000/3000 done")) << lines.back();

  // `keys status` afterwards reports the finished job once.
  code = RunCli({"keys", "status", "--server", "https://127.0.0.1:" + std::to_string(port),
                 "--token", admin_token_, "--ca-cert", data_dir_ + "/tls/cert.pem"},
                &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(out.starts_with("index key rotation done: 3000/3000 done")) << out;
  StopServer();
}

}  // namespace
}  // namespace vault
