// API tokens against the real server: every way a bearer token can be wrong
// (wrong secret, unknown id, revoked, expired, malformed, for a disabled
// employee) gets the same 401 problem+json with WWW-Authenticate, the same
// code and the same words, so a caller learns nothing about which part was
// wrong; and each refusal is audited as unauthenticated.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_server.h"

namespace vault {
namespace {

using testing::Json;
using testing::Response;
using testing::TestServer;

// A customer route and an admin route, so both halves of the API are held to it.
constexpr char kProbePath[] = "/v1/auth/me";

Response GetWithAuthorization(TestServer& server, const std::string& path,
                              const std::string& authorization) {
  return server.client().Send("GET", path, {{"Authorization", authorization}}, "", "");
}

// The one shape of every token refusal; `detail` must be the same for all.
void ExpectRefused(const Response& r, const std::string& code, std::string* detail) {
  EXPECT_EQ(r.status, 401) << r.text;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  EXPECT_EQ(r.Code(), code) << r.text;
  EXPECT_EQ(r.body.value("status", 0), 401);
  ASSERT_FALSE(r.Header("X-Request-Id").empty());
  EXPECT_EQ(r.body.value("request_id", ""), r.Header("X-Request-Id"));
  if (detail != nullptr) {
    if (detail->empty()) *detail = r.body.value("detail", "");
    EXPECT_EQ(r.body.value("detail", ""), *detail) << "refusals must not differ";
  }
}

// Flips one character of the secret part (the last one).
std::string WithWrongSecret(std::string token) {
  char& c = token.back();
  c = c == 'A' ? 'B' : 'A';
  return token;
}

// Replaces the 16-hex-digit id with another well-formed one.
std::string WithUnknownId(std::string token) {
  token.replace(4, 16, "0123456789abcdef");
  return token;
}

TEST(TokenTest, ValidTokenIsAccepted) {
  TestServer server;
  std::string token = server.CreateEmployee("cashier1", "cashier");
  Response r = server.client().Get(kProbePath, token);
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["name"], "cashier1");
  // The scheme name is case-insensitive (RFC 9110).
  EXPECT_EQ(GetWithAuthorization(server, kProbePath, "bearer " + token).status, 200);
}

TEST(TokenTest, WrongSecretUnknownIdAndMalformedAllGetTheSame401) {
  TestServer server;
  std::string token = server.CreateEmployee("cashier1", "cashier");
  ASSERT_EQ(server.client().Get(kProbePath, token).status, 200);
  ASSERT_TRUE(token.starts_with("cvk_")) << token;

  std::string detail;
  const std::vector<std::string> bad = {
      "Bearer " + WithWrongSecret(token),
      "Bearer " + WithUnknownId(token),
      "Bearer " + token.substr(0, token.size() - 1),  // one character short
      "Bearer " + token + "x",                        // one too many
      "Bearer",
      "Bearer ",
      "Basic xyz",
      "Basic " + token,
      "Bearer cvk_short",
      "Bearer cvk_" + std::string(16, 'g') + "_" + std::string(43, 'A'),  // id not hex
      token,                                                              // no scheme at all
  };
  for (const std::string& header : bad) {
    SCOPED_TRACE(header);
    ExpectRefused(GetWithAuthorization(server, kProbePath, header), "invalid_token", &detail);
    ExpectRefused(GetWithAuthorization(server, "/v1/customers/cus_0123", header), "invalid_token",
                  &detail);
  }
  // The real token still works: nothing above locked it out.
  EXPECT_EQ(server.client().Get(kProbePath, token).status, 200);
}

TEST(TokenTest, MissingAuthorizationIsUnauthenticated) {
  TestServer server;
  Response r = server.client().Get(kProbePath);
  ExpectRefused(r, "unauthenticated", nullptr);
  Response post = server.client().Post("/v1/customers/search", "", {{"email", "a@b.example"}});
  ExpectRefused(post, "unauthenticated", nullptr);
}

TEST(TokenTest, RevokedTokenIsRefusedAtOnce) {
  TestServer server;
  std::string admin = server.CreateEmployee("admin1", "admin");
  server.CreateEmployee("cashier1", "cashier");
  auto issued = server.IssueToken("employee", "cashier1");
  ASSERT_EQ(server.client().Get(kProbePath, issued.token).status, 200);

  Response revoke = server.client().Delete("/v1/admin/tokens/" + issued.row.id, admin);
  ASSERT_EQ(revoke.status, 204) << revoke.text;
  std::string detail;
  ExpectRefused(server.client().Get(kProbePath, issued.token), "invalid_token", &detail);
  ExpectRefused(GetWithAuthorization(server, kProbePath, "Bearer " + WithWrongSecret(admin)),
                "invalid_token", &detail);
  // An unknown id is a 404, not a silent success.
  EXPECT_EQ(server.client().Delete("/v1/admin/tokens/0123456789abcdef", admin).status, 404);
  // The token list shows when it was revoked.
  Response list = server.client().Get("/v1/admin/tokens", admin);
  ASSERT_EQ(list.status, 200);
  bool seen = false;
  for (const Json& t : list.body["tokens"]) {
    if (t["id"] == issued.row.id) {
      seen = true;
      EXPECT_TRUE(t["revoked_at"].is_number()) << t.dump();
    }
    EXPECT_FALSE(t.contains("token")) << "a token's secret is shown only once";
  }
  EXPECT_TRUE(seen);
}

TEST(TokenTest, ExpiredTokenIsRefused) {
  TestServer server;
  std::string admin = server.CreateEmployee("admin1", "admin");
  server.CreateEmployee("cashier1", "cashier");
  // Issued through the API to expire in a minute.
  Response made = server.client().Post(
      "/v1/admin/tokens", admin,
      {{"kind", "employee"}, {"name", "cashier1"}, {"expires_in_seconds", 60}});
  ASSERT_EQ(made.status, 201) << made.text;
  std::string token = made.body.value("token", "");
  ASSERT_TRUE(made.body["expires_at"].is_number());
  ASSERT_EQ(server.client().Get(kProbePath, token).status, 200);

  // A minute and a second later (on the server's authentication clock, so
  // the test does not sleep): refused.
  server.AdvanceAuthClock(61 * 1000);
  std::string detail;
  ExpectRefused(server.client().Get(kProbePath, token), "invalid_token", &detail);
  ExpectRefused(GetWithAuthorization(server, kProbePath, "Bearer " + WithWrongSecret(admin)),
                "invalid_token", &detail);
  // The admin's token (no expiry) still works.
  EXPECT_EQ(server.client().Get(kProbePath, admin).status, 200);
}

TEST(TokenTest, ExpiryIsValidated) {
  TestServer server;
  std::string admin = server.CreateEmployee("admin1", "admin");
  server.CreateEmployee("cashier1", "cashier");
  for (Json expires : {Json(0), Json(-5), Json("60"), Json(1.5)}) {
    SCOPED_TRACE(expires.dump());
    Response r = server.client().Post(
        "/v1/admin/tokens", admin,
        {{"kind", "employee"}, {"name", "cashier1"}, {"expires_in_seconds", expires}});
    EXPECT_EQ(r.status, 400) << r.text;
  }
}

TEST(TokenTest, DisabledEmployeesTokenIsRefused) {
  TestServer server;
  std::string admin = server.CreateEmployee("admin1", "admin");
  std::string cashier = server.CreateEmployee("cashier1", "cashier");
  ASSERT_EQ(server.client().Get(kProbePath, cashier).status, 200);

  Response off = server.client().Patch("/v1/admin/employees/cashier1", admin, {{"active", false}});
  ASSERT_EQ(off.status, 200) << off.text;
  EXPECT_EQ(off.body["active"], false);
  std::string detail;
  ExpectRefused(server.client().Get(kProbePath, cashier), "invalid_token", &detail);
  ExpectRefused(server.client().Post("/v1/customers/search", cashier, {{"email", "a@b.example"}}),
                "invalid_token", &detail);
  ExpectRefused(GetWithAuthorization(server, kProbePath, "Bearer " + WithWrongSecret(admin)),
                "invalid_token", &detail);

  Response on = server.client().Patch("/v1/admin/employees/cashier1", admin, {{"active", true}});
  ASSERT_EQ(on.status, 200) << on.text;
  EXPECT_EQ(server.client().Get(kProbePath, cashier).status, 200);
}

// Every refused token is in the audit log as "unauthenticated", with the
// route's action and the request id, and without the token.
TEST(TokenTest, RefusalsAreAuditedWithoutTheToken) {
  TestServer server;
  std::string token = server.CreateEmployee("cashier1", "cashier");
  int64_t before = server.LastAuditSeq();
  Response r = server.client().Send("POST", "/v1/customers/search",
                                    {{"Authorization", "Bearer " + WithWrongSecret(token)}},
                                    R"({"email":"x@y.example"})", "application/json");
  ASSERT_EQ(r.status, 401);
  Response missing = server.client().Get("/v1/auth/me");
  ASSERT_EQ(missing.status, 401);

  auto rows = server.AuditAfter(before);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].action, "customer.search");
  EXPECT_EQ(rows[0].principal, "anonymous");
  EXPECT_EQ(rows[0].outcome, "unauthenticated");
  EXPECT_EQ(rows[0].detail, "invalid_token");
  EXPECT_EQ(rows[0].request_id, r.Header("X-Request-Id"));
  EXPECT_EQ(rows[1].action, "auth.me");
  EXPECT_EQ(rows[1].outcome, "unauthenticated");
  EXPECT_EQ(rows[1].request_id, missing.Header("X-Request-Id"));
  std::string secret = token.substr(21);
  for (const auto& row : rows) {
    for (const std::string* s :
         {&row.principal, &row.detail, &row.record_id, &row.fields, &row.reason, &row.client}) {
      EXPECT_EQ(s->find(secret), std::string::npos);
      EXPECT_EQ(s->find("x@y.example"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace vault
