// The point-of-sale API against the real server (issue 7): Idempotency-Key on
// the creating POSTs (a retry replays the first response and does nothing; a
// different body with the key is 422; twenty concurrent requests with one key
// create one customer; keys are per principal; malformed keys are 400),
// find-or-create (creates, then finds, at the caller's levels), and the batch
// route (per-item results, only the valid new items stored, one audit entry
// per item, at most 500 items).
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/fixture_customer.h"
#include "support/test_server.h"

namespace vault {
namespace {

using testing::ContainsIgnoreCase;
using testing::Json;
using testing::Response;
using testing::TestClient;
using testing::TestServer;
using testing::TestServerOptions;

using namespace testing::jane;  // the fixture customer: kEmail, kEmailMask, ...

// A POST with a JSON body, as `token`, under `key` ("" sends no key).
Response PostWithKey(TestClient& client, const std::string& path, const std::string& token,
                     const std::string& key, const Json& body) {
  httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  if (!key.empty()) headers.emplace("Idempotency-Key", key);
  return client.Send("POST", path, headers, body.dump(), "application/json");
}

// The audit entries after `seq`, as "action outcome" strings, oldest first.
std::vector<std::string> AuditSince(TestServer& server, int64_t seq) {
  std::vector<std::string> out;
  for (const auto& row : server.AuditAfter(seq)) out.push_back(row.action + " " + row.outcome);
  return out;
}

// Searches by email as `token`: the number of matches.
size_t Matches(TestServer& server, const std::string& token, const std::string& email) {
  Response r = server.client().Post("/v1/customers/search", token, {{"email", email}});
  EXPECT_EQ(r.status, 200) << r.text;
  return r.body.contains("matches") ? r.body["matches"].size() : 0;
}

class PosTest : public ::testing::Test {
 protected:
  TestServer server_;
  std::string till_ = server_.CreateServiceAccount("till-1", "pos");
};

// --- Idempotency-Key ---------------------------------------------------------

TEST_F(PosTest, CreateRetriedWithTheSameKeyReplaysTheFirstResponse) {
  Json body = {{"email", kEmailTyped}, {"phone", kPhoneTyped}, {"name", kName}};
  Response first = PostWithKey(server_.client(), "/v1/customers", till_, "create-1", body);
  ASSERT_EQ(first.status, 201) << first.text;
  EXPECT_EQ(first.Header("Idempotent-Replayed"), "");
  ASSERT_EQ(server_.CountCustomers(), 1);
  int64_t seq = server_.LastAuditSeq();

  for (int i = 0; i < 2; ++i) {
    Response retry = PostWithKey(server_.client(), "/v1/customers", till_, "create-1", body);
    EXPECT_EQ(retry.status, 201);
    EXPECT_EQ(retry.text, first.text);  // the same customer id, byte for byte
    EXPECT_EQ(retry.Header("Idempotent-Replayed"), "true");
    EXPECT_EQ(retry.Header("Content-Type"), first.Header("Content-Type"));
    EXPECT_EQ(retry.Header("Cache-Control"), "no-store");
    EXPECT_NE(retry.Header("X-Request-Id"), first.Header("X-Request-Id"));
  }
  // Nothing ran again: no customer, no audit entry.
  EXPECT_EQ(server_.CountCustomers(), 1);
  EXPECT_EQ(server_.LastAuditSeq(), seq);

  // The same request without the key does run, and is refused as a duplicate:
  // the replays above were the key at work, not the request being harmless.
  Response unkeyed = PostWithKey(server_.client(), "/v1/customers", till_, "", body);
  EXPECT_EQ(unkeyed.status, 409);
  EXPECT_EQ(unkeyed.Code(), "duplicate_email");
}

TEST_F(PosTest, ARefusalIsReplayedToo) {
  server_.CreateCustomer(kEmail, std::nullopt, std::nullopt);
  Json body = {{"email", kEmailTyped}};
  Response first = PostWithKey(server_.client(), "/v1/customers", till_, "dup-1", body);
  ASSERT_EQ(first.status, 409) << first.text;
  EXPECT_EQ(first.Code(), "duplicate_email");
  int64_t seq = server_.LastAuditSeq();

  Response retry = PostWithKey(server_.client(), "/v1/customers", till_, "dup-1", body);
  EXPECT_EQ(retry.status, 409);
  EXPECT_EQ(retry.text, first.text);  // request_id of the first response included
  EXPECT_EQ(retry.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(retry.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(server_.LastAuditSeq(), seq);
  EXPECT_EQ(server_.CountCustomers(), 1);
}

TEST_F(PosTest, FindOrCreateRetriedWithTheSameKeyReplaysTheFirstResponse) {
  Json body = {{"email", kEmailTyped}, {"phone", kPhoneTyped}};
  Response first =
      PostWithKey(server_.client(), "/v1/customers/find-or-create", till_, "foc-1", body);
  ASSERT_EQ(first.status, 201) << first.text;
  EXPECT_EQ(first.body["created"], true);
  std::string id = first.body["customer"].value("id", "");
  ASSERT_TRUE(id.starts_with("cus_")) << first.text;
  int64_t seq = server_.LastAuditSeq();

  // Run again, it would find the customer (200, created: false); replayed,
  // it is the first answer: 201, created: true.
  Response retry =
      PostWithKey(server_.client(), "/v1/customers/find-or-create", till_, "foc-1", body);
  EXPECT_EQ(retry.status, 201);
  EXPECT_EQ(retry.text, first.text);
  EXPECT_EQ(retry.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(server_.LastAuditSeq(), seq);
  EXPECT_EQ(server_.CountCustomers(), 1);

  Response unkeyed = PostWithKey(server_.client(), "/v1/customers/find-or-create", till_, "", body);
  EXPECT_EQ(unkeyed.status, 200);
  EXPECT_EQ(unkeyed.body["created"], false);
  EXPECT_EQ(unkeyed.body["customer"].value("id", ""), id);
  EXPECT_EQ(unkeyed.Header("Idempotent-Replayed"), "");
}

TEST_F(PosTest, TheSameKeyWithADifferentRequestIs422AndStoresNothing) {
  for (auto [path, key] : {std::pair<std::string, std::string>{"/v1/customers", "reuse-create"},
                           {"/v1/customers/find-or-create", "reuse-foc"}}) {
    SCOPED_TRACE(path);
    std::string first_email = key + ".first@example.com";
    std::string other_email = key + ".other@example.com";
    Response first = PostWithKey(server_.client(), path, till_, key, {{"email", first_email}});
    ASSERT_EQ(first.status, 201) << first.text;
    int64_t count = server_.CountCustomers();
    int64_t seq = server_.LastAuditSeq();

    // Another body, and the same body with a member added.
    for (const Json& body :
         {Json{{"email", other_email}}, Json{{"email", first_email}, {"name", "Someone Else"}}}) {
      Response reused = PostWithKey(server_.client(), path, till_, key, body);
      EXPECT_EQ(reused.status, 422) << reused.text;
      EXPECT_EQ(reused.Code(), "idempotency_key_reused");
      EXPECT_EQ(reused.Header("Content-Type"), "application/problem+json");
      EXPECT_EQ(reused.Header("Idempotent-Replayed"), "");
      EXPECT_EQ(reused.body.value("request_id", ""), reused.Header("X-Request-Id"));
    }
    // Nothing ran: no customer, no audit entry.
    EXPECT_EQ(server_.CountCustomers(), count);
    EXPECT_EQ(server_.LastAuditSeq(), seq);
    EXPECT_EQ(Matches(server_, till_, other_email), 0u);

    // The first request with the key still replays.
    Response retry = PostWithKey(server_.client(), path, till_, key, {{"email", first_email}});
    EXPECT_EQ(retry.status, 201);
    EXPECT_EQ(retry.text, first.text);
    EXPECT_EQ(retry.Header("Idempotent-Replayed"), "true");
  }

  // The same key and body on another route is another request.
  Response first = PostWithKey(server_.client(), "/v1/customers", till_, "route-key",
                               {{"phone", "+1 514 555 0142"}});
  ASSERT_EQ(first.status, 201) << first.text;
  int64_t count = server_.CountCustomers();
  Response other = PostWithKey(server_.client(), "/v1/customers/find-or-create", till_, "route-key",
                               {{"phone", "+1 514 555 0142"}});
  EXPECT_EQ(other.status, 422) << other.text;
  EXPECT_EQ(other.Code(), "idempotency_key_reused");
  EXPECT_EQ(server_.CountCustomers(), count);
}

// Twenty terminals (one connection each) send the same request with one key
// at the same moment: one runs, the others get its answer. The create carries
// only a phone, which is not unique: had each request run, each would have
// made a customer.
TEST(PosConcurrencyTest, TwentyConcurrentRequestsWithOneKeyCreateOneCustomer) {
  constexpr int kThreads = 20;
  // The shipped default of 64 request threads (the harness's 8 would queue
  // twelve of the twenty connections behind idle keep-alives).
  TestServerOptions options;
  options.configure = [](Config& config) { config.threads = 64; };
  TestServer server(options);
  std::string till = server.CreateServiceAccount("till-1", "pos");
  struct Case {
    const char* path;
    Json body;
  };
  const Case cases[] = {
      {"/v1/customers", {{"phone", "+1 514 555 0150"}, {"name", "Walk In"}}},
      {"/v1/customers/find-or-create", {{"email", "rush.hour@example.com"}}},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.path);
    int64_t count = server.CountCustomers();
    int64_t seq = server.LastAuditSeq();
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < kThreads; ++i) clients.push_back(server.NewClient());
    // Warm each connection (TLS handshake) so the POSTs really race.
    for (auto& c : clients) ASSERT_EQ(c->Get("/healthz").status, 200);

    std::vector<Response> responses(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        responses[i] =
            PostWithKey(*clients[i], test.path, till, std::string("rush:") + test.path, test.body);
      });
    }
    for (auto& t : threads) t.join();

    EXPECT_EQ(server.CountCustomers(), count + 1);
    std::set<std::string> ids;
    int replayed = 0;
    for (const Response& r : responses) {
      EXPECT_EQ(r.status, 201) << r.text;
      EXPECT_EQ(r.text, responses[0].text);
      Json view = r.body.contains("customer") ? r.body["customer"] : r.body;
      ids.insert(view.value("id", ""));
      replayed += r.Header("Idempotent-Replayed") == "true";
    }
    EXPECT_EQ(ids.size(), 1u);
    EXPECT_TRUE(ids.begin()->starts_with("cus_"));
    EXPECT_EQ(replayed, kThreads - 1);  // exactly one ran
    // One request's audit entries, not twenty.
    std::vector<std::string> entries = AuditSince(server, seq);
    EXPECT_EQ(std::count(entries.begin(), entries.end(), "customer.create success"), 1);
    EXPECT_EQ(entries.size(), std::string(test.path) == "/v1/customers" ? 1u : 2u);
  }
}

TEST_F(PosTest, KeysArePerPrincipal) {
  std::string till2 = server_.CreateServiceAccount("till-2", "pos");
  Json body = {{"email", kEmailTyped}};
  Response mine =
      PostWithKey(server_.client(), "/v1/customers/find-or-create", till_, "shared", body);
  ASSERT_EQ(mine.status, 201) << mine.text;
  std::string id = mine.body["customer"].value("id", "");

  // The other terminal's request with the same key and body runs on its own:
  // it finds the customer the first one made (not a replay of the 201).
  Response theirs =
      PostWithKey(server_.client(), "/v1/customers/find-or-create", till2, "shared", body);
  EXPECT_EQ(theirs.status, 200) << theirs.text;
  EXPECT_EQ(theirs.body["created"], false);
  EXPECT_EQ(theirs.body["customer"].value("id", ""), id);
  EXPECT_EQ(theirs.Header("Idempotent-Replayed"), "");

  // With a different body, the same key is not "reused" across principals.
  Response other = PostWithKey(server_.client(), "/v1/customers", till2, "shared-2",
                               {{"email", "other.one@example.com"}});
  ASSERT_EQ(other.status, 201) << other.text;
  Response again = PostWithKey(server_.client(), "/v1/customers", till_, "shared-2",
                               {{"email", "third.one@example.com"}});
  EXPECT_EQ(again.status, 201) << again.text;
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "");
  EXPECT_NE(again.body.value("id", ""), other.body.value("id", ""));
  EXPECT_EQ(server_.CountCustomers(), 3);

  // Each principal's own retry still replays its own first answer.
  Response retry2 =
      PostWithKey(server_.client(), "/v1/customers/find-or-create", till2, "shared", body);
  EXPECT_EQ(retry2.text, theirs.text);
  EXPECT_EQ(retry2.status, 200);
  EXPECT_EQ(retry2.Header("Idempotent-Replayed"), "true");
  Response retry1 =
      PostWithKey(server_.client(), "/v1/customers/find-or-create", till_, "shared", body);
  EXPECT_EQ(retry1.text, mine.text);
  EXPECT_EQ(retry1.status, 201);
}

TEST_F(PosTest, MalformedIdempotencyKeyIs400AndDoesNothing) {
  const std::string bad_keys[] = {
      std::string(256, 'k'),  // too long
      "has space",            // not visible ASCII
      "tab\there",            // control characters
      "ctl\x01key",          "del\x7fkey",
      "caf\xc3\xa9",  // not ASCII
  };
  // (An empty header never reaches the route: cpp-httplib drops header lines
  // with an empty value, so it is the same as sending no key.)
  for (const std::string& key : bad_keys) {
    SCOPED_TRACE("key of " + std::to_string(key.size()) + " bytes");
    httplib::Headers headers = {{"Authorization", "Bearer " + till_}, {"Idempotency-Key", key}};
    for (const char* path :
         {"/v1/customers", "/v1/customers/find-or-create", "/v1/customers/batch"}) {
      SCOPED_TRACE(path);
      Json body = std::string(path) == "/v1/customers/batch"
                      ? Json{{"items", Json::array({{{"phone", "+1 514 555 0160"}}})}}
                      : Json{{"phone", "+1 514 555 0160"}};
      Response r = server_.client().Send("POST", path, headers, body.dump(), "application/json");
      EXPECT_EQ(r.status, 400) << r.text;
      EXPECT_EQ(r.Code(), "idempotency_key_invalid");
      EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    }
  }
  EXPECT_EQ(server_.CountCustomers(), 0);

  // The limits themselves are accepted: 255 visible ASCII characters.
  std::string longest(255, '~');
  longest[0] = '!';
  Response ok = PostWithKey(server_.client(), "/v1/customers", till_, longest,
                            {{"phone", "+1 514 555 0160"}});
  EXPECT_EQ(ok.status, 201) << ok.text;
  Response replay = PostWithKey(server_.client(), "/v1/customers", till_, longest,
                                {{"phone", "+1 514 555 0160"}});
  EXPECT_EQ(replay.text, ok.text);
  EXPECT_EQ(replay.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(server_.CountCustomers(), 1);
}

// --- find-or-create ----------------------------------------------------------

TEST_F(PosTest, FindOrCreateCreatesThenFindsAtTheCallersLevel) {
  int64_t seq = server_.LastAuditSeq();
  Response made =
      server_.client().Post("/v1/customers/find-or-create", till_,
                            {{"email", kEmailTyped}, {"phone", kPhoneTyped}, {"name", kName}});
  ASSERT_EQ(made.status, 201) << made.text;
  EXPECT_EQ(made.body["created"], true);
  const Json& view = made.body["customer"];
  std::string id = view.value("id", "");
  EXPECT_TRUE(id.starts_with("cus_")) << made.text;
  EXPECT_EQ(view.value("email", ""), kEmailMask);
  EXPECT_EQ(view.value("phone", ""), kPhoneMask);
  EXPECT_EQ(view.value("name", ""), kNameMask);
  EXPECT_EQ(view["access"], (Json{{"email", "masked"}, {"phone", "masked"}, {"name", "masked"}}));
  EXPECT_EQ(AuditSince(server_, seq),
            (std::vector<std::string>{"customer.search no_match", "customer.create success"}));
  EXPECT_EQ(server_.CountCustomers(), 1);

  // Typed differently, by email and then by phone alone: found, not made again.
  for (const Json& body : {Json{{"email", "JANE.DOE@example.com "}},
                           Json{{"phone", kPhoneNational}, {"name", "Jane D."}}}) {
    seq = server_.LastAuditSeq();
    Response found = server_.client().Post("/v1/customers/find-or-create", till_, body);
    ASSERT_EQ(found.status, 200) << found.text;
    EXPECT_EQ(found.body["created"], false);
    EXPECT_EQ(found.body["customer"].value("id", ""), id);
    EXPECT_EQ(found.body["customer"].value("email", ""), kEmailMask);
    EXPECT_EQ(found.body["customer"].value("name", ""), kNameMask);  // not updated
    EXPECT_FALSE(ContainsIgnoreCase(found.text, kEmail));
    EXPECT_FALSE(ContainsIgnoreCase(found.text, kPhoneNational));
    EXPECT_EQ(AuditSince(server_, seq), (std::vector<std::string>{"customer.search success"}));
  }
  EXPECT_EQ(server_.CountCustomers(), 1);

  // Support finds at its own levels: phone is `plaintext` for the role, but a
  // view is still masked (plaintext comes only from a reveal).
  std::string support = server_.CreateEmployee("support1", "support");
  Response seen =
      server_.client().Post("/v1/customers/find-or-create", support, {{"email", kEmailTyped}});
  ASSERT_EQ(seen.status, 200) << seen.text;
  EXPECT_EQ(seen.body["customer"]["access"],
            (Json{{"email", "masked"}, {"phone", "plaintext"}, {"name", "masked"}}));
  EXPECT_EQ(seen.body["customer"].value("phone", ""), kPhoneMask);
  EXPECT_FALSE(ContainsIgnoreCase(seen.text, kPhoneNational));

  // Marketing sees nothing and may not search: refused, nothing made.
  std::string marketing = server_.CreateEmployee("marketing1", "marketing");
  Response refused = server_.client().Post("/v1/customers/find-or-create", marketing,
                                           {{"email", "new.person@example.com"}});
  EXPECT_EQ(refused.status, 403) << refused.text;
  EXPECT_EQ(server_.CountCustomers(), 1);
}

// --- batch -------------------------------------------------------------------

TEST_F(PosTest, BatchReportsEachItemStoresOnlyTheValidNewOnesAndAuditsEachItem) {
  std::string stored =
      server_.CreateCustomer("stored.before@example.com", std::nullopt, std::nullopt);
  ASSERT_EQ(server_.CountCustomers(), 1);
  struct Item {
    Json item;
    int status;
    std::string code;   // for a failure
    std::string audit;  // the item's audit entry: "action outcome"
  };
  const std::vector<Item> items = {
      {{{"email", "new.one@example.com"}, {"name", "New One"}}, 201, "", "customer.create success"},
      {{{"email", "not-an-email"}}, 400, "email_invalid", "customer.create invalid"},
      {{{"phone", "12"}}, 400, "phone_invalid", "customer.create invalid"},
      {{{"email", "member@example.com"}, {"nickname", "M"}},
       400,
       "unknown_member",
       "customer.create invalid"},
      {{{"email", "Stored.Before@example.com"}},
       409,
       "duplicate_email",
       "customer.create conflict"},
      {{{"email", "twice@example.com"}}, 201, "", "customer.create success"},
      {{{"email", " TWICE@example.com"}}, 409, "duplicate_email", "customer.create conflict"},
      {{{"op", "create"}, {"phone", "+1 514 555 0170"}}, 201, "", "customer.create success"},
      {{{"op", "find_or_create"}, {"email", "stored.before@example.com"}},
       200,
       "",
       "customer.search success"},
      {{{"name", "No Contact"}}, 400, "contact_required", "customer.create invalid"},
      {Json(42), 400, "item_invalid", "customer.batch invalid"},
      {{{"op", "delete"}, {"email", "op@example.com"}},
       400,
       "op_invalid",
       "customer.batch invalid"},
      {{{"email", 7}}, 400, "invalid_field_type", "customer.create invalid"},
  };
  Json request_items = Json::array();
  for (const Item& i : items) request_items.push_back(i.item);
  Json body = {{"items", request_items}};
  int64_t seq = server_.LastAuditSeq();

  Response r = PostWithKey(server_.client(), "/v1/customers/batch", till_, "batch-1", body);
  ASSERT_EQ(r.status, 200) << r.text;
  const Json& results = r.body["results"];
  ASSERT_EQ(results.size(), items.size()) << r.text;
  int ok = 0;
  std::set<std::string> new_ids;
  for (size_t i = 0; i < items.size(); ++i) {
    SCOPED_TRACE("item " + std::to_string(i) + ": " + items[i].item.dump());
    const Json& result = results[i];
    EXPECT_EQ(result["index"], i);
    EXPECT_EQ(result["status"], items[i].status) << result.dump();
    if (items[i].status < 300) {
      ++ok;
      EXPECT_EQ(result["created"], items[i].status == 201);
      std::string id = result["customer"].value("id", "");
      EXPECT_TRUE(id.starts_with("cus_"));
      EXPECT_FALSE(result.contains("error"));
      if (items[i].status == 201) {
        new_ids.insert(id);
      } else {
        EXPECT_EQ(id, stored);
      }
    } else {
      EXPECT_EQ(result["error"].value("code", ""), items[i].code) << result.dump();
      EXPECT_FALSE(result.contains("customer"));
    }
  }
  EXPECT_EQ(r.body["succeeded"], ok);
  EXPECT_EQ(r.body["failed"], static_cast<int>(items.size()) - ok);
  EXPECT_EQ(results[0]["customer"].value("email", ""), "n•••@e•••.com");

  // Exactly the three valid new items were stored.
  EXPECT_EQ(new_ids.size(), 3u);
  EXPECT_EQ(server_.CountCustomers(), 1 + 3);
  int64_t after = server_.LastAuditSeq();

  // One audit entry per item, in item order, under the caller.
  std::vector<store::AuditRow> rows = server_.AuditAfter(seq);
  ASSERT_EQ(rows.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(rows[i].action + " " + rows[i].outcome, items[i].audit) << "item " << i;
    EXPECT_EQ(rows[i].principal, "service:till-1");
    EXPECT_EQ(rows[i].request_id, r.Header("X-Request-Id"));
  }

  // What was stored is findable; what failed is not.
  for (const char* email : {"new.one@example.com", "twice@example.com"}) {
    EXPECT_EQ(Matches(server_, till_, email), 1u) << email;
  }
  EXPECT_EQ(Matches(server_, till_, "member@example.com"), 0u);
  EXPECT_EQ(Matches(server_, till_, "op@example.com"), 0u);

  // The batch retried with its key: the first answer, nothing run again.
  int64_t count = server_.CountCustomers();
  after = server_.LastAuditSeq();
  Response retry = PostWithKey(server_.client(), "/v1/customers/batch", till_, "batch-1", body);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.text, r.text);
  EXPECT_EQ(retry.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(server_.CountCustomers(), count);
  EXPECT_EQ(server_.LastAuditSeq(), after);

  // The same key with another batch: 422, nothing run.
  Response reused = PostWithKey(server_.client(), "/v1/customers/batch", till_, "batch-1",
                                {{"items", Json::array({{{"email", "late@example.com"}}})}});
  EXPECT_EQ(reused.status, 422) << reused.text;
  EXPECT_EQ(reused.Code(), "idempotency_key_reused");
  EXPECT_EQ(server_.CountCustomers(), count);
  EXPECT_EQ(server_.LastAuditSeq(), after);
}

// 501 valid items: refused whole (had any run, it would be stored); 500 run.
TEST_F(PosTest, BatchOfMoreThan500ItemsIsRefusedWhole) {
  auto items_of = [](int n, int first) {
    Json items = Json::array();
    for (int i = 0; i < n; ++i) {
      items.push_back({{"phone", "+1 514 555 " + std::to_string(1000 + (first + i) % 9000)}});
    }
    return Json{{"items", items}};
  };
  int64_t seq = server_.LastAuditSeq();
  for (const Json& body : {items_of(501, 0), Json{{"items", Json::array()}},
                           Json{{"items", Json::object()}}, Json::object()}) {
    Response r = server_.client().Post("/v1/customers/batch", till_, body);
    EXPECT_EQ(r.status, 400) << r.text.substr(0, 300);
    EXPECT_EQ(r.Code(), "batch_invalid");
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  }
  EXPECT_EQ(server_.CountCustomers(), 0);
  EXPECT_EQ(server_.LastAuditSeq(), seq);

  Response full = server_.client().Post("/v1/customers/batch", till_, items_of(500, 0));
  ASSERT_EQ(full.status, 200) << full.text.substr(0, 300);
  EXPECT_EQ(full.body["succeeded"], 500);
  EXPECT_EQ(full.body["failed"], 0);
  EXPECT_EQ(server_.CountCustomers(), 500);
  EXPECT_EQ(server_.LastAuditSeq(), seq + 500);
}

}  // namespace
}  // namespace vault
