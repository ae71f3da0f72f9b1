// The tamper-evident audit log against the real server (issue 4). The
// per-route entries are checked by the access matrix
// (AccessMatrixTest.EveryCallLeavesExactlyItsAuditEntry); here: reading the
// log, tampering with the SQLite file by hand (edit, delete, reorder,
// truncate) and seeing both GET /v1/audit/verify and the real
// `contact-vault audit verify --local` name the entry; failing closed when
// the audit cannot be written; the metrics; and group commit under load.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "support/test_server.h"

namespace vault {
namespace {

using testing::ContainsIgnoreCase;
using testing::Json;
using testing::Response;
using testing::TestServer;

// A second connection to the live database, as an intruder (or a failing
// disk) would have: it changes the file under the server.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    EXPECT_EQ(rc, SQLITE_OK) << path;
    sqlite3_busy_timeout(db_, 10000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  int64_t Changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_ = nullptr;
};

struct CliResult {
  int exit_code = -1;
  std::string output;
};

// Runs the real CLI: `contact-vault audit verify --local --data-dir D`.
CliResult RunAuditVerifyCli(const std::string& data_dir) {
  std::string cli = testing::BinaryDir() + "/contact-vault";
  std::string cmd =
      "env -u CONTACT_VAULT_PASSPHRASE -u CONTACT_VAULT_ROOT_KEY_FILE "
      "-u CONTACT_VAULT_DATA_DIR '" +
      cli + "' audit verify --local --data-dir '" + data_dir + "' 2>&1";
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << cmd;
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
  int status = ::pclose(pipe);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

// A small, varied history: successes, refusals, lookups, a reveal.
struct History {
  explicit History(TestServer& server) {
    admin = server.CreateEmployee("admin1", "admin");
    cashier = server.CreateEmployee("cashier1", "cashier");
    support = server.CreateEmployee("support1", "support");
    auto& c = server.client();
    Response made = c.Post("/v1/customers", cashier,
                           {{"email", "ida.lovell@example.com"}, {"phone", "+1 514 555 0111"}});
    EXPECT_EQ(made.status, 201);
    id = made.body.value("id", "");
    c.Post("/v1/customers/search", cashier, {{"email", "ida.lovell@example.com"}});
    c.Post("/v1/customers/" + id + "/reveal", cashier,
           {{"fields", Json::array({"phone"})}, {"reason", "x"}});  // denied
    c.Post("/v1/customers/" + id + "/reveal", support,
           {{"fields", Json::array({"phone"})}, {"reason", "call back"}});
    c.Post("/v1/customers/" + id + "/verify", cashier, {{"phone", "+1 514 555 0112"}});
    c.Get("/v1/customers/" + id, support);
    c.Get("/v1/admin/employees", admin);
    c.Get("/v1/auth/me");  // unauthenticated
    c.Patch("/v1/customers/" + id, support, {{"name", "Ida Lovell"}});
    c.Get("/v1/customers/" + id, cashier);
  }
  std::string admin, cashier, support, id;
};

Response VerifyViaApi(TestServer& server, const std::string& admin) {
  Response r = server.client().Get("/v1/audit/verify", admin);
  EXPECT_EQ(r.status, 200) << r.text;
  return r;
}

TEST(AuditTest, CleanLogVerifiesIntactViaApiAndCli) {
  TestServer server;
  History h(server);
  int64_t n = server.LastAuditSeq();
  ASSERT_GE(n, 10);
  Response v = VerifyViaApi(server, h.admin);
  EXPECT_EQ(v.body["intact"], true) << v.text;
  EXPECT_EQ(v.body["entries"], n);
  EXPECT_EQ(v.body["message"], std::to_string(n) + " entries, chain intact");
  EXPECT_FALSE(v.body.contains("first_broken_seq"));

  server.Shutdown();
  CliResult cli = RunAuditVerifyCli(server.data_dir());
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  // The API's own audit.verify entry is the (n+1)th.
  EXPECT_NE(cli.output.find(std::to_string(n + 1) + " entries, chain intact"), std::string::npos)
      << cli.output;
}

struct Tamper {
  const char* name;
  // SQL run against the live file; {N} is the victim's seq, {LAST} the newest.
  const char* sql;
  bool last;  // the victim is the newest entry
  // Whether later writes keep it visible. Deleting the head row (the tail
  // anchor) is seen until the next entry writes a new head: see the report.
  bool persists = true;
};

class AuditTamperTest : public ::testing::TestWithParam<Tamper> {};

// Whatever is changed by hand, verify names the first entry that no longer
// holds, keeps naming it after more entries are written, and the CLI agrees.
TEST_P(AuditTamperTest, VerifyNamesTheTamperedEntry) {
  const Tamper& t = GetParam();
  TestServer server;
  History h(server);
  int64_t last = server.LastAuditSeq();
  int64_t victim = t.last ? last : 5;
  ASSERT_GT(last, 8);

  std::string sql = t.sql;
  sql = std::regex_replace(sql, std::regex("\\{N\\}"), std::to_string(victim));
  sql = std::regex_replace(sql, std::regex("\\{N1\\}"), std::to_string(victim + 1));
  {
    RawDb raw(server.db_path());
    raw.Exec(sql);
  }

  Response v = VerifyViaApi(server, h.admin);
  EXPECT_EQ(v.body["intact"], false) << v.text;
  EXPECT_EQ(v.body["first_broken_seq"], victim) << v.text;
  EXPECT_NE(v.body.value("message", "").find("entry " + std::to_string(victim)), std::string::npos)
      << v.text;

  if (!t.persists) return;
  // Later writes (including verify's own entry and these) must not hide it.
  server.client().Post("/v1/customers/search", h.cashier, {{"email", "ida.lovell@example.com"}});
  server.client().Get("/v1/customers/" + h.id, h.support);
  Response again = VerifyViaApi(server, h.admin);
  EXPECT_EQ(again.body["intact"], false) << again.text;
  EXPECT_EQ(again.body["first_broken_seq"], victim) << again.text;

  server.Shutdown();
  CliResult cli = RunAuditVerifyCli(server.data_dir());
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  EXPECT_NE(cli.output.find("chain broken at entry " + std::to_string(victim)), std::string::npos)
      << cli.output;
}

INSTANTIATE_TEST_SUITE_P(
    ByHand, AuditTamperTest,
    ::testing::Values(
        Tamper{"EditOutcome", "UPDATE audit_log SET outcome = 'success' WHERE seq = {N}", false},
        Tamper{"EditPrincipal",
               "UPDATE audit_log SET principal = 'employee:nobody' WHERE seq = {N}", false},
        Tamper{"EditTime", "UPDATE audit_log SET time_ms = time_ms - 3600000 WHERE seq = {N}",
               false},
        Tamper{"EditRecordId",
               "UPDATE audit_log SET record_id = 'cus_00000000000000000000000000000000' "
               "WHERE seq = {N}",
               false},
        Tamper{"DeleteMiddle", "DELETE FROM audit_log WHERE seq = {N}", false},
        Tamper{"SwapTwo",
               "UPDATE audit_log SET seq = -1 WHERE seq = {N};"
               "UPDATE audit_log SET seq = {N} WHERE seq = {N1};"
               "UPDATE audit_log SET seq = {N1} WHERE seq = -1;",
               false},
        Tamper{"DeleteLast", "DELETE FROM audit_log WHERE seq = {N}", true},
        Tamper{"DeleteHead", "DELETE FROM meta WHERE key = 'audit.head'", true, false}),
    [](const ::testing::TestParamInfo<Tamper>& info) { return std::string(info.param.name); });

// A failing audit write (a trigger that aborts every insert, like a disk that
// is gone) makes the requests that need an entry fail with 503: no plaintext
// revealed, nothing stored, no search answered. Then it recovers.
TEST(AuditTest, FailsClosedWhenTheAuditCannotBeWritten) {
  TestServer server;
  std::string cashier = server.CreateEmployee("cashier1", "cashier");
  std::string support = server.CreateEmployee("support1", "support");
  std::string admin = server.CreateEmployee("admin1", "admin");
  std::string id =
      server.CreateCustomer("olga.fenwick@example.com", "+1 514 555 0177", "Olga Fenwick");
  auto& c = server.client();
  auto metric = [&](const std::string& name) {
    std::string text = server.Metrics();
    std::smatch m;
    EXPECT_TRUE(std::regex_search(text, m, std::regex("\\n" + name + " ([0-9]+)\\n"))) << name;
    return m.size() > 1 ? std::stoll(m[1].str()) : -1;
  };
  int64_t failures_before = metric("vault_audit_failures_total");
  int64_t seq_before = server.LastAuditSeq();
  int64_t customers_before = server.CountCustomers();

  RawDb raw(server.db_path());
  raw.Exec(
      "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log "
      "BEGIN SELECT RAISE(ABORT, 'audit disk gone'); END;");

  const Json reveal = {{"fields", Json::array({"phone"})}, {"reason", "call back"}};
  Response r = c.Post("/v1/customers/" + id + "/reveal", support, reveal);
  EXPECT_EQ(r.status, 503) << r.text;
  EXPECT_EQ(r.Code(), "audit_unavailable") << r.text;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  for (const char* secret : {"+15145550177", "5145550177", "555-0177", "olga", "Fenwick"}) {
    EXPECT_FALSE(ContainsIgnoreCase(r.text, secret)) << secret << " in " << r.text;
  }
  EXPECT_FALSE(ContainsIgnoreCase(r.text, "audit disk gone")) << "internal detail leaked";

  Response created = c.Post("/v1/customers", cashier, {{"email", "new.one@example.com"}});
  EXPECT_EQ(created.status, 503) << created.text;
  EXPECT_EQ(server.CountCustomers(), customers_before);

  Response search =
      c.Post("/v1/customers/search", cashier, {{"email", "olga.fenwick@example.com"}});
  EXPECT_EQ(search.status, 503) << search.text;
  EXPECT_FALSE(ContainsIgnoreCase(search.text, id)) << "a search answered without its entry";

  Response verify =
      c.Post("/v1/customers/" + id + "/verify", cashier, {{"email", "olga.fenwick@example.com"}});
  EXPECT_EQ(verify.status, 503) << verify.text;
  EXPECT_EQ(verify.text.find("match"), std::string::npos) << verify.text;

  Response get = c.Get("/v1/customers/" + id, cashier);
  EXPECT_EQ(get.status, 503) << get.text;
  EXPECT_FALSE(ContainsIgnoreCase(get.text, "•••"));

  Response update = c.Patch("/v1/customers/" + id, support, {{"name", "Changed Name"}});
  EXPECT_EQ(update.status, 503) << update.text;

  // Refusals and failed sign-ins need their entry too.
  EXPECT_EQ(c.Post("/v1/customers/" + id + "/reveal", cashier, reveal).status, 503);
  EXPECT_EQ(c.Get("/v1/auth/me").status, 503);

  EXPECT_EQ(server.LastAuditSeq(), seq_before);
  EXPECT_GT(metric("vault_audit_failures_total"), failures_before);

  raw.Exec("DROP TRIGGER audit_fail");
  Response ok = c.Post("/v1/customers/" + id + "/reveal", support, reveal);
  EXPECT_EQ(ok.status, 200) << ok.text;
  EXPECT_EQ(ok.body["values"]["phone"], "+15145550177");
  // The failed reveal did not use up quota.
  EXPECT_EQ(ok.body["quota_remaining"], 19);
  EXPECT_EQ(c.Post("/v1/customers", cashier, {{"email", "new.one@example.com"}}).status, 201);
  EXPECT_EQ(server.CountCustomers(), customers_before + 1);
  Response found = c.Post("/v1/customers/search", cashier, {{"email", "olga.fenwick@example.com"}});
  EXPECT_EQ(found.status, 200);
  Response name = c.Get("/v1/customers/" + id, cashier);
  EXPECT_EQ(name.body["name"], "O••• F•••") << "the failed update changed the record";
  Response v = VerifyViaApi(server, admin);
  EXPECT_EQ(v.body["intact"], true) << v.text;
}

// GET /v1/audit for admin and privacy officer, filtered; the read itself is
// audited; entries carry no plaintext.
TEST(AuditTest, ReadFiltersByPrincipalRecordAndActionAndIsItselfAudited) {
  TestServer server;
  History h(server);
  std::string privacy = server.CreateEmployee("privacy1", "privacy_officer");
  auto& c = server.client();

  Response mine = c.Get("/v1/audit?principal=employee:cashier1", h.admin);
  ASSERT_EQ(mine.status, 200) << mine.text;
  ASSERT_GE(mine.body["entries"].size(), 4u);
  for (const Json& e : mine.body["entries"]) {
    EXPECT_EQ(e["principal"], "employee:cashier1");
  }
  Response record = c.Get("/v1/audit?record=" + h.id + "&action=customer.reveal", privacy);
  ASSERT_EQ(record.status, 200) << record.text;
  ASSERT_EQ(record.body["entries"].size(), 2u) << record.text;
  EXPECT_EQ(record.body["entries"][0]["outcome"], "denied");
  EXPECT_EQ(record.body["entries"][1]["outcome"], "success");
  EXPECT_EQ(record.body["entries"][1]["reason"], "call back");
  EXPECT_EQ(record.body["entries"][1]["fields"], "phone:plaintext");
  EXPECT_EQ(record.body["entries"][1]["principal"], "employee:support1");

  // Paging: a cursor walks the log without gaps or repeats.
  std::vector<int64_t> seqs;
  Json cursor = 0;
  while (!cursor.is_null()) {
    Response page = c.Get("/v1/audit?limit=3&cursor=" + cursor.dump(), h.admin);
    ASSERT_EQ(page.status, 200) << page.text;
    for (const Json& e : page.body["entries"]) seqs.push_back(e["seq"]);
    cursor = page.body["next_cursor"];
  }
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int64_t>(i + 1));

  // The reads are entries of their own.
  auto rows = server.AuditAfter(0);
  int admin_reads = 0, privacy_reads = 0;
  for (const auto& row : rows) {
    admin_reads += row.action == "audit.read" && row.principal == "employee:admin1";
    privacy_reads += row.action == "audit.read" && row.principal == "employee:privacy1";
  }
  EXPECT_GE(admin_reads, 2);
  EXPECT_EQ(privacy_reads, 1);

  // Not for other roles.
  EXPECT_EQ(c.Get("/v1/audit", h.cashier).status, 403);
  EXPECT_EQ(c.Get("/v1/audit", h.support).status, 403);
  // Never a plaintext value, in any entry.
  Response all = c.Get("/v1/audit?limit=1000", h.admin);
  for (const char* secret : {"ida.lovell", "5145550111", "5145550112", "Ida Lovell"}) {
    EXPECT_FALSE(ContainsIgnoreCase(all.text, secret)) << secret;
  }
}

// Prometheus metrics: requests by route pattern and status, reveals by role,
// audit entries and failures, group-commit batch sizes; no label ever holds
// an email, a phone or a customer id, even when a client puts one in a path.
TEST(AuditTest, MetricsCountWithoutPiiOrIdsInLabels) {
  TestServer server;
  History h(server);
  auto& c = server.client();
  const httplib::Headers cashier = {{"Authorization", "Bearer " + h.cashier}};
  c.Get("/v1/customers/jane.doe@example.com", h.cashier);
  c.SendOffContract("GET", "/v1/customers/+15145550111/reveal", cashier);
  c.SendOffContract("GET", "/v1/jane.doe@example.com");
  c.Get("/v1/audit?principal=jane.doe@example.com", h.admin);

  const std::string text = server.Metrics();
  ASSERT_FALSE(text.empty());
  EXPECT_NE(text.find("vault_http_requests_total{method=\"POST\",route=\"/v1/customers/{id}/"
                      "reveal\",status=\"200\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vault_http_requests_total{method=\"POST\",route=\"/v1/customers/{id}/"
                      "reveal\",status=\"403\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vault_reveals_total{role=\"support\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("vault_reveals_total{role=\"cashier\"}"), std::string::npos) << text;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(text, match,
                                std::regex("\\nvault_audit_entries_written_total ([0-9]+)\\n")));
  EXPECT_EQ(std::stoll(match[1].str()), server.LastAuditSeq());
  EXPECT_NE(text.find("\nvault_audit_failures_total 0\n"), std::string::npos) << text;
  // The logger's drop counter is served (warnings and errors are never dropped).
  EXPECT_NE(text.find("# TYPE vault_log_lines_dropped_total counter\n"), std::string::npos);
  ASSERT_TRUE(
      std::regex_search(text, match, std::regex("\\nvault_log_lines_dropped_total ([0-9]+)\\n")));
  EXPECT_EQ(std::stoull(match[1].str()), log::DroppedLines());
  EXPECT_NE(text.find("vault_group_commit_batch_size_bucket{le=\"1\"}"), std::string::npos);
  EXPECT_NE(text.find("vault_group_commit_batch_size_bucket{le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(text.find("\nvault_group_commit_batch_size_count "), std::string::npos);

  // Every label value is a method, a route pattern, a status, a role or a
  // bucket bound: nothing a client sent.
  std::regex label("([a-z_]+)=\"([^\"]*)\"");
  std::regex allowed(
      "^(GET|POST|PATCH|DELETE|PUT|HEAD|OPTIONS|[0-9]+|\\+Inf|[a-z_]+|other|"
      "static|(/(v1|[a-z-]+|\\{id\\}))+)$");
  int labels = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), label);
       it != std::sregex_iterator(); ++it) {
    std::string value = (*it)[2].str();
    ++labels;
    EXPECT_TRUE(std::regex_match(value, allowed)) << (*it)[1].str() << "=" << value;
    EXPECT_EQ(value.find('@'), std::string::npos) << value;
    EXPECT_EQ(value.find("cus_"), std::string::npos) << value;
    EXPECT_FALSE(ContainsIgnoreCase(value, "5145550111")) << value;
    EXPECT_FALSE(ContainsIgnoreCase(value, h.id)) << value;
  }
  EXPECT_GT(labels, 10);
  for (const char* secret : {"jane.doe", "ida.lovell", "5145550111", "Ida Lovell"}) {
    EXPECT_FALSE(ContainsIgnoreCase(text, secret)) << secret;
  }
  EXPECT_FALSE(ContainsIgnoreCase(text, h.id));
}

// Concurrent creates share transactions: every one is acknowledged (durable,
// with its entry), with fewer commits (fsyncs) than writes.
TEST(AuditTest, GroupCommitSharesCommitsAmongConcurrentCreates) {
  TestServer server;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::string> tokens;
  for (int t = 0; t < kThreads; ++t) {
    tokens.push_back(server.CreateServiceAccount("till-" + std::to_string(t), "pos"));
  }
  store::StoreStats before = server.store().Stats();
  int64_t customers_before = server.CountCustomers();
  int64_t seq_before = server.LastAuditSeq();

  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto client = server.NewClient();
      for (int i = 0; i < kPerThread; ++i) {
        std::string email = "gc." + std::to_string(t) + "." + std::to_string(i) + "@example.com";
        Response r =
            client->Post("/v1/customers", tokens[t], {{"email", email}, {"name", "Group Commit"}});
        if (r.status == 201) {
          ++created;
        } else {
          ADD_FAILURE() << r.status << " " << r.text;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  store::StoreStats after = server.store().Stats();

  const int total = kThreads * kPerThread;
  EXPECT_EQ(created.load(), total);
  EXPECT_EQ(server.CountCustomers(), customers_before + total);
  EXPECT_EQ(server.LastAuditSeq(), seq_before + total);
  uint64_t writes = after.writes - before.writes;
  uint64_t commits = after.commits - before.commits;
  EXPECT_EQ(writes, static_cast<uint64_t>(total));
  EXPECT_LT(commits, writes) << "no write shared a commit";
  EXPECT_EQ(after.failed_commits, before.failed_commits);
  ::testing::Test::RecordProperty("creates_per_second", static_cast<int>(total / seconds));
  ::testing::Test::RecordProperty(
      "writes_per_commit_x100", static_cast<int>(100.0 * writes / std::max<uint64_t>(commits, 1)));
  std::printf("group commit: %d creates in %.2f s (%.0f/s), %llu writes in %llu commits\n", total,
              seconds, total / seconds, static_cast<unsigned long long>(writes),
              static_cast<unsigned long long>(commits));

  auto verified = server.audit().Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->intact) << verified->problem;
}

}  // namespace
}  // namespace vault
