// Request limits and error shapes against the real server: strict JSON
// (unknown members, wrong types, duplicates, nesting, content type, body
// size), RFC 9457 problems with a stable code and the request id, no-store
// on PII responses, and nothing stored by a refused request. Then the
// per-principal limits: reveal reason and hourly quota, lookup rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/test_server.h"

namespace vault {
namespace {

using testing::Json;
using testing::Response;
using testing::TestServer;

// A problem+json whose request_id is the response's X-Request-Id.
void ExpectProblem(const Response& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.text;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << r.text;
  EXPECT_EQ(r.Code(), code) << r.text;
  ASSERT_TRUE(r.body.is_object()) << r.text;
  EXPECT_EQ(r.body.value("status", 0), status);
  EXPECT_FALSE(r.body.value("title", "").empty());
  EXPECT_FALSE(r.body.value("detail", "").empty());
  std::string id = r.Header("X-Request-Id");
  EXPECT_TRUE(id.starts_with("req_")) << id;
  EXPECT_EQ(r.body.value("request_id", ""), id);
}

std::string Bearer(const std::string& token) { return "Bearer " + token; }

class ApiErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cashier_ = server_.CreateEmployee("cashier1", "cashier");
    support_ = server_.CreateEmployee("support1", "support");
    customer_ = server_.CreateCustomer("rhea.quill@example.net", "+1 604 555 0134", "Rhea Quill");
  }

  // Sends `body` raw to POST /v1/customers as the cashier.
  Response CreateRaw(const std::string& body,
                     const std::string& content_type = "application/json") {
    return server_.client().Send("POST", "/v1/customers", {{"Authorization", Bearer(cashier_)}},
                                 body, content_type);
  }

  // Each refused request leaves the customer table as it was.
  void ExpectRefusedAndNothingStored(const std::string& body, int status, const std::string& code,
                                     const std::string& content_type = "application/json") {
    SCOPED_TRACE(body.substr(0, 80));
    int64_t before = server_.CountCustomers();
    ExpectProblem(CreateRaw(body, content_type), status, code);
    EXPECT_EQ(server_.CountCustomers(), before);
  }

  TestServer server_;
  std::string cashier_, support_, customer_;
};

TEST_F(ApiErrorsTest, UnknownMemberIsRefusedAndNothingStored) {
  ExpectRefusedAndNothingStored(R"({"email":"new1@example.com","nickname":"x"})", 400,
                                "unknown_member");
  ExpectRefusedAndNothingStored(R"({"email":"new1@example.com","Email":"x@example.com"})", 400,
                                "unknown_member");
  // The same on the other routes that take a body.
  ExpectProblem(server_.client().Post("/v1/customers/search", cashier_,
                                      {{"email", "a@example.com"}, {"limit", 5}}),
                400, "unknown_member");
  ExpectProblem(server_.client().Post(
                    "/v1/customers/" + customer_ + "/reveal", support_,
                    {{"fields", Json::array({"phone"})}, {"reason", "call back"}, {"why", "x"}}),
                400, "unknown_member");
}

TEST_F(ApiErrorsTest, WrongTypesAreRefusedAndNothingStored) {
  ExpectRefusedAndNothingStored(R"({"email":5})", 400, "invalid_field_type");
  ExpectRefusedAndNothingStored(R"({"email":["a@example.com"]})", 400, "invalid_field_type");
  ExpectRefusedAndNothingStored(R"({"email":"new2@example.com","name":{"first":"A"}})", 400,
                                "invalid_field_type");
  ExpectRefusedAndNothingStored(R"({"phone":true})", 400, "invalid_field_type");
  ExpectProblem(server_.client().Post("/v1/customers/" + customer_ + "/reveal", support_,
                                      {{"fields", "phone"}, {"reason", "call back"}}),
                400, "invalid_field_type");
  ExpectProblem(server_.client().Post("/v1/customers/" + customer_ + "/reveal", support_,
                                      {{"fields", Json::array({"phone"})}, {"reason", 7}}),
                400, "invalid_field_type");
}

TEST_F(ApiErrorsTest, MalformedJsonAndNonObjectsAreRefused) {
  ExpectRefusedAndNothingStored(R"({"email":"new3@example.com")", 400, "invalid_json");
  ExpectRefusedAndNothingStored(R"(["new3@example.com"])", 400, "invalid_json");
  ExpectRefusedAndNothingStored("", 400, "invalid_json");
  ExpectRefusedAndNothingStored("{\"name\":\"\xff\xfe\"}", 400, "invalid_json");
}

TEST_F(ApiErrorsTest, NonJsonContentTypeIs415) {
  ExpectRefusedAndNothingStored(R"({"email":"new4@example.com"})", 415, "unsupported_media_type",
                                "text/plain");
  ExpectRefusedAndNothingStored("email=new4%40example.com", 415, "unsupported_media_type",
                                "application/x-www-form-urlencoded");
  ExpectRefusedAndNothingStored(R"({"email":"new4@example.com"})", 415, "unsupported_media_type",
                                "");
  // A charset parameter is fine.
  int64_t before = server_.CountCustomers();
  Response ok = CreateRaw(R"({"email":"new4@example.com"})", "application/json; charset=utf-8");
  EXPECT_EQ(ok.status, 201) << ok.text;
  EXPECT_EQ(server_.CountCustomers(), before + 1);
}

TEST_F(ApiErrorsTest, BodyOverTheLimitIs413) {
  int64_t limit = server_.app().config.max_body_bytes;
  std::string name(static_cast<size_t>(limit), 'a');
  ExpectRefusedAndNothingStored(R"({"email":"new5@example.com","name":")" + name + "\"}", 413,
                                "body_too_large");
  // Just under the limit is parsed (and refused for its own reasons only).
  std::string under = R"({"email":"new5@example.com","name":")";
  under += std::string(static_cast<size_t>(limit) - under.size() - 2, 'a') + "\"}";
  ASSERT_EQ(static_cast<int64_t>(under.size()), limit);
  Response r = CreateRaw(under);
  EXPECT_NE(r.status, 413) << r.text.substr(0, 200);
}

TEST_F(ApiErrorsTest, JsonNestedDeeperThanTheLimitIsRefused) {
  int depth = server_.app().config.max_json_depth;
  auto nested = [](int levels) {
    std::string inner = "1";
    for (int i = 1; i < levels; ++i) inner = "[" + inner + "]";
    return R"({"email":"new6@example.com","name":)" + inner + "}";
  };
  // depth + 1 levels counting the outer object: refused before parsing.
  ExpectRefusedAndNothingStored(nested(depth + 1), 400, "invalid_json");
  ExpectRefusedAndNothingStored(nested(10000), 400, "invalid_json");
  // Within the limit the JSON parses; the nested name is the wrong type.
  ExpectRefusedAndNothingStored(nested(depth), 400, "invalid_field_type");
}

TEST_F(ApiErrorsTest, DuplicateKeysAreRefused) {
  ExpectRefusedAndNothingStored(R"({"email":"new7@example.com","email":"new8@example.com"})", 400,
                                "invalid_json");
  ExpectProblem(server_.client().Send("POST", "/v1/customers/" + customer_ + "/reveal",
                                      {{"Authorization", Bearer(support_)}},
                                      R"({"fields":["phone"],"reason":"a","reason":"b"})",
                                      "application/json"),
                400, "invalid_json");
}

TEST_F(ApiErrorsTest, UnknownRouteAndMethodAreProblems) {
  ExpectProblem(server_.client().SendOffContract("GET", "/v1/nothing-here",
                                                 {{"Authorization", Bearer(cashier_)}}),
                404, "route_not_found");
  // A known path under a method it is not served with: 405 naming the others,
  // before authentication, and nothing created.
  Response put = server_.client().SendOffContract(
      "PUT", "/v1/customers", {{"Authorization", Bearer(cashier_)}},
      R"({"email":"put.me@example.com"})", "application/json");
  ExpectProblem(put, 405, "method_not_allowed");
  EXPECT_EQ(put.Header("Allow"), "POST");
  EXPECT_EQ(put.body.value("status", 0), 405);
  EXPECT_EQ(put.body.value("request_id", ""), put.Header("X-Request-Id"));
  EXPECT_EQ(server_.client()
                .Post("/v1/customers/search", cashier_, {{"email", "put.me@example.com"}})
                .body["matches"]
                .size(),
            0u);
  Response anonymous = server_.client().SendOffContract("GET", "/v1/auth/login");
  ExpectProblem(anonymous, 405, "method_not_allowed");
  EXPECT_EQ(anonymous.Header("Allow"), "POST");
  Response customer = server_.client().SendOffContract(
      "POST", "/v1/customers/cus_00000000000000000000000000000000",
      {{"Authorization", Bearer(cashier_)}}, "{}", "application/json");
  ExpectProblem(customer, 405, "method_not_allowed");
  EXPECT_EQ(customer.Header("Allow"), "DELETE, GET, HEAD, PATCH");
  Response page = server_.client().SendOffContract("POST", "/", {}, "{}", "application/json");
  ExpectProblem(page, 405, "method_not_allowed");
  EXPECT_EQ(page.Header("Allow"), "GET, HEAD");
  ExpectProblem(
      server_.client().Get("/v1/customers/cus_00000000000000000000000000000000", cashier_), 404,
      "customer_not_found");
}

TEST_F(ApiErrorsTest, EveryResponseHasARequestIdAndPiiResponsesAreNoStore) {
  auto client = server_.NewClient();
  client->Get("/healthz");
  client->Get("/readyz");
  client->SendOffContract("GET", "/v1/nothing-here");
  Response created = client->Post("/v1/customers", cashier_, {{"email", "store.me@example.com"}});
  ASSERT_EQ(created.status, 201);
  std::string id = created.body.value("id", "");
  client->Post("/v1/customers/search", cashier_, {{"email", "store.me@example.com"}});
  client->Post("/v1/customers/" + id + "/verify", cashier_, {{"email", "store.me@example.com"}});
  client->Get("/v1/customers/" + id, cashier_);
  client->Post("/v1/customers/" + customer_ + "/reveal", support_,
               {{"fields", Json::array({"phone"})}, {"reason", "call back"}});
  client->Patch("/v1/customers/" + customer_, support_, {{"name", "Rhea Quill"}});
  client->Post("/v1/customers/find-or-create", cashier_, {{"email", "store.me@example.com"}});
  client->Get("/v1/auth/me", cashier_);
  client->Post("/v1/customers", "", {{"email", "x@example.com"}});

  std::vector<std::string> ids;
  for (const Response& r : client->History()) {
    SCOPED_TRACE(r.method + " " + r.path + " " + std::to_string(r.status));
    std::string id_header = r.Header("X-Request-Id");
    EXPECT_TRUE(id_header.starts_with("req_")) << id_header;
    ids.push_back(id_header);
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
    if (r.path.starts_with("/v1/") && r.Code() != "route_not_found") {
      EXPECT_EQ(r.Header("Cache-Control"), "no-store");
    }
    if (r.status >= 400) {
      EXPECT_EQ(r.body.value("request_id", ""), id_header);
    }
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "request ids repeat";
}

TEST_F(ApiErrorsTest, RevealNeedsAReasonOfOneTo200Characters) {
  const std::string path = "/v1/customers/" + customer_ + "/reveal";
  int64_t before = server_.LastAuditSeq();
  ExpectProblem(server_.client().Post(path, support_, {{"fields", Json::array({"phone"})}}), 400,
                "reason_required");
  ExpectProblem(
      server_.client().Post(path, support_, {{"fields", Json::array({"phone"})}, {"reason", ""}}),
      400, "reason_required");
  ExpectProblem(server_.client().Post(path, support_,
                                      {{"fields", Json::array({"phone"})}, {"reason", "   "}}),
                400, "reason_required");
  ExpectProblem(
      server_.client().Post(
          path, support_, {{"fields", Json::array({"phone"})}, {"reason", std::string(201, 'r')}}),
      400, "reason_required");
  // The refusals revealed nothing and count nothing against the quota.
  for (const auto& row : server_.AuditAfter(before)) {
    EXPECT_EQ(row.outcome, "invalid");
  }
  // 200 characters is fine, in any script: the limit counts characters.
  Response ascii = server_.client().Post(
      path, support_, {{"fields", Json::array({"phone"})}, {"reason", std::string(200, 'r')}});
  EXPECT_EQ(ascii.status, 200) << ascii.text;
  std::string accented;
  for (int i = 0; i < 200; ++i) accented += "é";
  Response utf8 = server_.client().Post(path, support_,
                                        {{"fields", Json::array({"phone"})}, {"reason", accented}});
  EXPECT_EQ(utf8.status, 200) << utf8.text;
  EXPECT_EQ(utf8.body["values"]["phone"], "+16045550134");
  EXPECT_EQ(utf8.Header("Cache-Control"), "no-store");
}

TEST_F(ApiErrorsTest, RevealQuotaIs429OnceTheHourlyQuotaIsSpent) {
  const std::string path = "/v1/customers/" + customer_ + "/reveal";
  int quota = server_.policy().RevealQuotaPerHour(std::vector<std::string>{"support"});
  ASSERT_EQ(quota, 20);
  for (int i = 0; i < quota; ++i) {
    Response r = server_.client().Post(
        path, support_, {{"fields", Json::array({"phone"})}, {"reason", "call back"}});
    ASSERT_EQ(r.status, 200) << "reveal " << i << ": " << r.text;
    EXPECT_EQ(r.body["quota_remaining"], quota - i - 1);
  }
  Response over = server_.client().Post(
      path, support_, {{"fields", Json::array({"phone"})}, {"reason", "call back"}});
  ExpectProblem(over, 429, "reveal_quota_exceeded");
  EXPECT_EQ(over.text.find("+16045550134"), std::string::npos);
  EXPECT_EQ(over.text.find("6045550134"), std::string::npos);
  // Another support employee has a quota of their own.
  std::string other = server_.CreateEmployee("support2", "support");
  EXPECT_EQ(server_.client()
                .Post(path, other, {{"fields", Json::array({"phone"})}, {"reason", "call back"}})
                .status,
            200);
  // The refusal is audited as rate limited.
  auto rows = server_.AuditAfter(0);
  int limited = 0;
  for (const auto& row : rows) {
    limited += row.action == "customer.reveal" && row.outcome == "rate_limited";
  }
  EXPECT_EQ(limited, 1);
}

TEST_F(ApiErrorsTest, SearchIs429AfterTheRolesLookupsPerMinute) {
  int limit = server_.policy().LookupsPerMinute(std::vector<std::string>{"cashier"});
  ASSERT_EQ(limit, 60);
  for (int i = 0; i < limit; ++i) {
    Response r = server_.client().Post("/v1/customers/search", cashier_,
                                       {{"email", "probe" + std::to_string(i) + "@example.com"}});
    ASSERT_EQ(r.status, 200) << "search " << i << ": " << r.text;
  }
  ExpectProblem(server_.client().Post("/v1/customers/search", cashier_,
                                      {{"email", "rhea.quill@example.net"}}),
                429, "lookup_rate_limited");
  // Verify draws on the same budget.
  ExpectProblem(server_.client().Post("/v1/customers/" + customer_ + "/verify", cashier_,
                                      {{"email", "rhea.quill@example.net"}}),
                429, "lookup_rate_limited");
  // So does create: a taken email (409) would otherwise answer the question a
  // refused search did not. New and taken emails get the same 429.
  int64_t before = server_.CountCustomers();
  ExpectProblem(
      server_.client().Post("/v1/customers", cashier_, {{"email", "rhea.quill@example.net"}}), 429,
      "lookup_rate_limited");
  ExpectProblem(
      server_.client().Post("/v1/customers", cashier_, {{"email", "brand.new@example.net"}}), 429,
      "lookup_rate_limited");
  EXPECT_EQ(server_.CountCustomers(), before);
  // The limit is per principal.
  std::string other = server_.CreateEmployee("cashier2", "cashier");
  EXPECT_EQ(server_.client()
                .Post("/v1/customers/search", other, {{"email", "rhea.quill@example.net"}})
                .status,
            200);
}

// A 429 says when to retry as structure: the Retry-After header and
// `retry_after_s` in the body carry the same whole seconds, within the limit's
// window. Returns the seconds (0 if absent).
int64_t ExpectRetryAfter(const Response& r, int64_t window_s) {
  EXPECT_EQ(r.status, 429) << r.text;
  EXPECT_TRUE(r.body.is_object() && r.body.contains("retry_after_s") &&
              r.body["retry_after_s"].is_number_integer())
      << r.text;
  int64_t body_s = r.body.value("retry_after_s", int64_t{0});
  std::string header = r.Header("Retry-After");
  EXPECT_EQ(header, std::to_string(body_s)) << r.text;
  EXPECT_GE(body_s, 1);
  EXPECT_LE(body_s, window_s + 1);
  return body_s;
}

TEST_F(ApiErrorsTest, RateLimitedSearchAndBatchItemSayWhenToRetry) {
  int limit = server_.policy().LookupsPerMinute(std::vector<std::string>{"cashier"});
  ASSERT_EQ(limit, 60);
  // Batch items are lookups: spend the budget with one batch, whose last
  // items go over it.
  Json items = Json::array();
  for (int i = 0; i < limit + 2; ++i) {
    items.push_back(
        {{"op", "find_or_create"}, {"email", "batch" + std::to_string(i) + "@example.com"}});
  }
  Response batch = server_.client().Post("/v1/customers/batch", cashier_, {{"items", items}});
  ASSERT_EQ(batch.status, 200) << batch.text;
  const Json& results = batch.body["results"];
  ASSERT_EQ(results.size(), static_cast<size_t>(limit + 2));
  int limited = 0;
  for (const Json& item : results) {
    if (item.value("status", 0) != 429) {
      EXPECT_TRUE(item.contains("customer")) << item;
      EXPECT_EQ(limited, 0) << "an item succeeded after one was rate-limited: " << item;
      continue;
    }
    ++limited;
    ASSERT_TRUE(item.contains("error")) << item;
    EXPECT_EQ(item["error"].value("code", ""), "lookup_rate_limited") << item;
    ASSERT_TRUE(item["error"].contains("retry_after_s")) << item;
    ASSERT_TRUE(item["error"]["retry_after_s"].is_number_integer()) << item;
    int64_t s = item["error"]["retry_after_s"].get<int64_t>();
    EXPECT_GE(s, 1) << item;
    EXPECT_LE(s, 61) << item;
  }
  EXPECT_GE(limited, 2);
  // Items refused for other reasons carry no retry delay.
  Response bad = server_.client().Post("/v1/customers/batch", cashier_,
                                       {{"items", Json::array({{{"op", "upsert"}}})}});
  ASSERT_EQ(bad.status, 200) << bad.text;
  EXPECT_EQ(bad.body["results"][0].value("status", 0), 400) << bad.text;
  EXPECT_FALSE(bad.body["results"][0]["error"].contains("retry_after_s")) << bad.text;

  // The single-item routes answer 429 with the header and the member.
  Response search = server_.client().Post("/v1/customers/search", cashier_,
                                          {{"email", "rhea.quill@example.net"}});
  ExpectProblem(search, 429, "lookup_rate_limited");
  int64_t wait_s = ExpectRetryAfter(search, 60);
  // Refused lookups spend nothing, so the wait does not grow.
  Response again = server_.client().Post("/v1/customers/" + customer_ + "/verify", cashier_,
                                         {{"email", "rhea.quill@example.net"}});
  ExpectProblem(again, 429, "lookup_rate_limited");
  EXPECT_LE(ExpectRetryAfter(again, 60), wait_s);
  // Errors that waiting does not cure carry neither.
  Response unauthenticated =
      server_.client().Post("/v1/customers/search", "cvk_nope_nope", {{"email", "a@example.com"}});
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_EQ(unauthenticated.Header("Retry-After"), "");
  EXPECT_FALSE(unauthenticated.body.contains("retry_after_s")) << unauthenticated.text;
}

TEST_F(ApiErrorsTest, SpentRevealQuotaSaysWhenAUnitComesBack) {
  const std::string path = "/v1/customers/" + customer_ + "/reveal";
  int quota = server_.policy().RevealQuotaPerHour(std::vector<std::string>{"support"});
  for (int i = 0; i < quota; ++i) {
    ASSERT_EQ(
        server_.client()
            .Post(path, support_, {{"fields", Json::array({"phone"})}, {"reason", "call back"}})
            .status,
        200);
  }
  Response over = server_.client().Post(
      path, support_, {{"fields", Json::array({"phone"})}, {"reason", "call back"}});
  ExpectProblem(over, 429, "reveal_quota_exceeded");
  // The first reveal leaves the hour in just under an hour.
  int64_t s = ExpectRetryAfter(over, 3600);
  EXPECT_GE(s, 3500);
}

TEST_F(ApiErrorsTest, RepeatedFailedSignInsSayWhenToTryAgain) {
  server_.CreateEmployee("lockme", "cashier");
  Response r;
  for (int i = 0; i < 6; ++i) {
    r = server_.client().Post("/v1/auth/login", "",
                              {{"username", "lockme"}, {"password", "not the password"}});
  }
  ExpectProblem(r, 429, "login_rate_limited");
  // Five failures in a burst: the 15-minute window must pass, then a fifth
  // of the next one (the burst slides out at the limit's pace).
  int64_t s = ExpectRetryAfter(r, 18 * 60);
  EXPECT_GE(s, 17 * 60);
}

TEST_F(ApiErrorsTest, CreatingATakenEmailIs409) {
  Response r =
      server_.client().Post("/v1/customers", cashier_, {{"email", " Rhea.Quill@Example.NET"}});
  ExpectProblem(r, 409, "duplicate_email");
  EXPECT_EQ(r.text.find("rhea.quill"), std::string::npos) << r.text;
}

}  // namespace
}  // namespace vault
