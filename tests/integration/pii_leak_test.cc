// No plaintext at rest, in the audit or in the logs: a full scenario (create,
// search, verify, get, reveal, update, find-or-create, erase, audit reads) by
// every kind of caller with distinctive contact data, then a byte search of
// the SQLite file, its WAL and shared-memory files, and every log line the
// server wrote (debug level included) for every email, phone (E.164, national
// digits, as typed) and name used. The audit rows live in the database file,
// so this also proves the audit holds no plaintext.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_server.h"

namespace vault {
namespace {

using testing::ContainsIgnoreCase;
using testing::Json;
using testing::ReadFileBytes;
using testing::Response;
using testing::TestClient;
using testing::TestServer;

struct Person {
  std::string email_typed, phone_typed, name;
  std::vector<std::string> needles;  // every form that must never be at rest
};

const std::vector<Person>& People() {
  static const auto* people = new std::vector<Person>{
      {" Zanzibar.Quokka+7731@Example.ORG",
       "+1 (438) 555-0187",
       "Xavière Quillfeather",
       {"zanzibar.quokka+7731@example.org", "zanzibar.quokka", "Zanzibar", "+14385550187",
        "4385550187", "438-555-0187", "555-0187", "Xavière Quillfeather", "Quillfeather",
        "Xavière"}},
      {"marmaduke.oyelaran@example.com",
       "+44 20 7946 0321",
       "Marmaduke Oyelaran",
       {"marmaduke.oyelaran@example.com", "marmaduke", "oyelaran", "+442079460321", "2079460321",
        "7946 0321", "79460321"}},
      {"ptolemy.vantongeren@example.net",
       "613-555-0164",
       "Ptolemy Van Tongeren",
       {"ptolemy.vantongeren@example.net", "ptolemy", "vantongeren", "+16135550164", "6135550164",
        "613-555-0164", "Tongeren"}},
      // The values an update writes.
      {"zq.updated.9917@example.org",
       "+1 438 555 0999",
       "Xanthe Quillfeather-Ross",
       {"zq.updated.9917@example.org", "zq.updated", "+14385550999", "4385550999", "Xanthe",
        "Quillfeather-Ross"}},
      // Searched for, never a customer: search terms must not be kept either.
      {"never.a.customer.4242@example.com",
       "+1 902 555 0142",
       "",
       {"never.a.customer", "+19025550142", "9025550142"}},
  };
  return *people;
}

// Which of `needles` occur in `haystack` (case-insensitive, byte-wise).
std::vector<std::string> Found(const std::string& haystack) {
  std::vector<std::string> hits;
  for (const Person& p : People()) {
    for (const std::string& n : p.needles) {
      if (ContainsIgnoreCase(haystack, n)) hits.push_back(n);
    }
  }
  return hits;
}

void ExpectNoPlaintext(const std::string& what, const std::string& bytes) {
  std::vector<std::string> hits = Found(bytes);
  EXPECT_TRUE(hits.empty()) << what << " holds " << ::testing::PrintToString(hits);
}

// Runs the scenario, every role taking part.
void RunScenario(TestServer& server) {
  std::string cashier = server.CreateEmployee("cashier1", "cashier");
  std::string support = server.CreateEmployee("support1", "support");
  std::string privacy = server.CreateEmployee("privacy1", "privacy_officer");
  std::string admin = server.CreateEmployee("admin1", "admin");
  std::string marketing = server.CreateEmployee("marketing1", "marketing");
  std::string pos = server.CreateServiceAccount("till-1", "pos");
  TestClient& c = server.client();
  const auto& p = People();

  // Creates, by a cashier (first two) and a terminal (find-or-create).
  Response a =
      c.Post("/v1/customers", cashier,
             {{"email", p[0].email_typed}, {"phone", p[0].phone_typed}, {"name", p[0].name}});
  ASSERT_EQ(a.status, 201) << a.text;
  std::string id_a = a.body["id"];
  Response b =
      c.Post("/v1/customers", cashier,
             {{"email", p[1].email_typed}, {"phone", p[1].phone_typed}, {"name", p[1].name}});
  ASSERT_EQ(b.status, 201) << b.text;
  std::string id_b = b.body["id"];
  Response f =
      c.Post("/v1/customers/find-or-create", pos,
             {{"email", p[2].email_typed}, {"phone", p[2].phone_typed}, {"name", p[2].name}});
  ASSERT_EQ(f.status, 201) << f.text;
  Response again = c.Post("/v1/customers/find-or-create", pos, {{"email", p[2].email_typed}});
  ASSERT_EQ(again.status, 200) << again.text;
  // A duplicate create is refused.
  EXPECT_EQ(c.Post("/v1/customers", cashier, {{"email", p[0].email_typed}}).status, 409);

  // Lookups: hits, misses and refusals.
  for (const std::string& token : {cashier, support, privacy, pos, marketing, admin}) {
    c.Post("/v1/customers/search", token, {{"email", p[0].email_typed}});
    c.Post("/v1/customers/search", token, {{"phone", p[1].phone_typed}});
    c.Post("/v1/customers/search", token, {{"email", p[4].email_typed}});
    c.Post("/v1/customers/search", token, {{"phone", p[4].phone_typed}});
    c.Post("/v1/customers/" + id_a + "/verify", token, {{"email", p[0].email_typed}});
    c.Post("/v1/customers/" + id_a + "/verify", token, {{"phone", p[4].phone_typed}});
    c.Get("/v1/customers/" + id_a, token);
    c.Get("/v1/customers/" + id_b, token);
  }
  // Malformed terms are refused without being echoed or kept.
  c.Post("/v1/customers/search", cashier, {{"email", "not-an-email " + p[4].email_typed}});
  c.Post("/v1/customers", cashier, {{"email", p[4].email_typed}, {"nickname", p[4].name}});

  // Reveals, granted and refused.
  Response phone = c.Post("/v1/customers/" + id_a + "/reveal", support,
                          {{"fields", Json::array({"phone"})}, {"reason", "call back"}});
  ASSERT_EQ(phone.status, 200) << phone.text;
  EXPECT_EQ(phone.body["values"]["phone"], "+14385550187");
  c.Post("/v1/customers/" + id_a + "/reveal", support,
         {{"fields", Json::array({"email"})}, {"reason", "check"}});
  Response all = c.Post(
      "/v1/customers/" + id_b + "/reveal", privacy,
      {{"fields", Json::array({"email", "phone", "name"})}, {"reason", "access request 2024-17"}});
  ASSERT_EQ(all.status, 200) << all.text;
  EXPECT_EQ(all.body["values"]["name"], p[1].name);

  // Updates (support), then reads of the new values.
  Response up =
      c.Patch("/v1/customers/" + id_a, support,
              {{"email", p[3].email_typed}, {"phone", p[3].phone_typed}, {"name", p[3].name}});
  ASSERT_EQ(up.status, 200) << up.text;
  c.Post("/v1/customers/search", support, {{"email", p[3].email_typed}});
  c.Post("/v1/customers/" + id_a + "/reveal", support,
         {{"fields", Json::array({"phone"})}, {"reason", "new number"}});

  // Erasure (privacy officer), and the audit read back through the API.
  ASSERT_EQ(c.Delete("/v1/customers/" + id_b, privacy).status, 200);
  Response log = c.Get("/v1/audit?limit=1000", admin);
  ASSERT_EQ(log.status, 200);
  ASSERT_GT(log.body["entries"].size(), 50u);
  ExpectNoPlaintext("GET /v1/audit", log.text);
  Response verify = c.Get("/v1/audit/verify", privacy);
  ASSERT_EQ(verify.status, 200);
  EXPECT_EQ(verify.body["intact"], true) << verify.text;
  ExpectNoPlaintext("/metrics", server.Metrics());
}

TEST(PiiLeakTest, NoPlaintextInTheDatabaseWalOrLogs) {
  TestServer server;
  RunScenario(server);
  if (HasFatalFailure()) return;

  // While live: the main file and the WAL (where recent pages sit).
  const std::string db = server.db_path();
  std::string live_wal = ReadFileBytes(db + "-wal");
  EXPECT_FALSE(live_wal.empty()) << "expected a WAL while the server runs";
  ExpectNoPlaintext("vault.db (live)", ReadFileBytes(db));
  ExpectNoPlaintext("vault.db-wal (live)", live_wal);
  ExpectNoPlaintext("vault.db-shm (live)", ReadFileBytes(db + "-shm"));
  // The sweep reads where the audit rows are: their (non-PII) text is found.
  EXPECT_TRUE(ContainsIgnoreCase(ReadFileBytes(db) + live_wal, "employee:support1"));

  // The sweep must be able to see a value if it were there: the needles are
  // found in what the clients legitimately received (reveals).
  std::string received;
  for (const Response& r : server.client().History()) received += r.text;
  EXPECT_FALSE(Found(received).empty()) << "the needles are wrong: nothing found anywhere";

  std::vector<std::string> lines = server.LogLines();
  EXPECT_FALSE(lines.empty());
  std::string all_lines;
  for (const std::string& line : lines) all_lines += line + "\n";
  ExpectNoPlaintext("the server log", all_lines);
  // It did log every request (so there was something to leak into).
  EXPECT_TRUE(ContainsIgnoreCase(all_lines, "/v1/customers/{id}/reveal")) << all_lines;

  // After a clean shutdown (the WAL checkpointed into the main file).
  server.Shutdown();
  std::string closed = ReadFileBytes(db);
  ExpectNoPlaintext("vault.db (closed)", closed);
  EXPECT_TRUE(ContainsIgnoreCase(closed, "employee:support1"));
  ExpectNoPlaintext("vault.db-wal (closed)", ReadFileBytes(db + "-wal"));
  lines = server.LogLines();
  all_lines.clear();
  for (const std::string& line : lines) all_lines += line + "\n";
  ExpectNoPlaintext("the server log (after shutdown)", all_lines);
}

}  // namespace
}  // namespace vault
