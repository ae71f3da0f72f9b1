// The access matrix: every shipped role × every customer, auth and admin
// route, against the real server on port 0 over real TLS. One table (kRoutes,
// with the role columns of kRoles) gives, per cell, the expected HTTP status
// and the audit entries the call must leave; kRoles gives each role's field
// levels, which every 2xx customer response must honour (masked values for
// `masked` and `plaintext`, absent fields for `none`; plaintext only from a
// reveal). The table is the shipped config/policy.toml written out by hand:
// if the policy or the code drifts from it, a cell fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/fixture_customer.h"
#include "support/test_server.h"

namespace vault {
namespace {

using testing::ContainsIgnoreCase;
using testing::Json;
using testing::Response;
using testing::TestServer;

constexpr size_t kRoleCount = 6;

// Table columns: who calls, as what principal, and the field levels the
// shipped policy gives the role (also the `access` member of every view).
struct RoleColumn {
  const char* role;
  const char* principal;  // the audit's label for the caller
  const char* email;
  const char* phone;
  const char* name;
};

constexpr std::array<RoleColumn, kRoleCount> kRoles = {{
    {"cashier", "employee:cashier1", "masked", "masked", "masked"},
    {"pos", "service:till-1", "masked", "masked", "masked"},
    {"support", "employee:support1", "masked", "plaintext", "masked"},
    {"marketing", "employee:marketing1", "none", "none", "none"},
    {"privacy_officer", "employee:privacy1", "plaintext", "plaintext", "plaintext"},
    {"admin", "employee:admin1", "none", "none", "none"},
}};

// The fixture customer every read goes to, as typed and as stored.
using namespace testing::jane;  // the fixture customer: kEmail, kEmailMask, ...

// What a call needs to know about the world it runs in.
struct Ctx {
  TestServer& server;
  std::string role;
  std::string target;  // the fixture customer (read, reveal, update)
  std::string victim;  // a second customer (erase)
};

struct Call {
  std::string method, path;
  std::optional<Json> body;
};

// How to check a 2xx body.
enum class Shape {
  kView,         // a customer view at the top level
  kCreatedView,  // a new customer view (not the fixture)
  kMatches,      // {"matches": [view of the fixture]}
  kFound,        // {"customer": view of the fixture, "created": false}
  kCreated,      // {"customer": new view, "created": true}
  kMatchTrue,    // {"match": true}
  kMatchFalse,   // {"match": false}
  kRevealEmail,  // {"values": {"email": plaintext}}
  kRevealPhone,
  kRevealName,
  kErased,  // erasure receipt for the victim
  kMe,      // the principal, with the role's field levels
  kAdmin,   // admin and audit bodies: no customer data
  kNoContent,
};

// One table cell: expected status, then the audit entries the call leaves,
// "action outcome" separated by ';' ("" for none).
struct Cell {
  int status;
  const char* audit;
};

// Record ids: whether every entry must name the fixture (or victim) customer.
enum class Record { kAny, kTarget, kVictim };

struct RouteRow {
  const char* route;
  std::function<Call(Ctx&)> call;
  Shape shape;
  Record record;
  // cashier, pos, support, marketing, privacy_officer, admin
  std::array<Cell, kRoleCount> cells;
};

Json Reveal(const char* field) {
  return {{"fields", Json::array({field})}, {"reason", "customer called about an order"}};
}

std::string Path(const std::string& id, const char* suffix = "") {
  return "/v1/customers/" + id + suffix;
}

// clang-format off
const std::vector<RouteRow>& Routes() {
  static const auto* rows = new std::vector<RouteRow>{
    {"create customer",
     [](Ctx& c) { return Call{"POST", "/v1/customers",
                              Json{{"email", "new." + c.role + "@example.com"},
                                   {"phone", "+1 613 555 0142"}, {"name", "New Person"}}}; },
     Shape::kCreatedView, Record::kAny,
     {{{201, "customer.create success"}, {201, "customer.create success"},
       {403, "customer.create denied"}, {403, "customer.create denied"},
       {403, "customer.create denied"}, {403, "customer.create denied"}}}},

    {"search by the email the customer typed",
     [](Ctx&) { return Call{"POST", "/v1/customers/search", Json{{"email", kEmailTyped}}}; },
     Shape::kMatches, Record::kAny,
     {{{200, "customer.search success"}, {200, "customer.search success"},
       {200, "customer.search success"}, {403, "customer.search denied"},
       {200, "customer.search success"}, {403, "customer.search denied"}}}},

    {"search by phone",
     [](Ctx&) { return Call{"POST", "/v1/customers/search", Json{{"phone", kPhoneTyped}}}; },
     Shape::kMatches, Record::kAny,
     {{{200, "customer.search success"}, {200, "customer.search success"},
       {200, "customer.search success"}, {403, "customer.search denied"},
       {200, "customer.search success"}, {403, "customer.search denied"}}}},

    {"verify the right email",
     [](Ctx& c) { return Call{"POST", Path(c.target, "/verify"),
                              Json{{"email", "JANE.DOE@example.com"}}}; },
     Shape::kMatchTrue, Record::kTarget,
     {{{200, "customer.verify match"}, {200, "customer.verify match"},
       {403, "customer.verify denied"}, {403, "customer.verify denied"},
       {200, "customer.verify match"}, {403, "customer.verify denied"}}}},

    {"verify a wrong phone",
     [](Ctx& c) { return Call{"POST", Path(c.target, "/verify"),
                              Json{{"phone", "+1 514 555 0100"}}}; },
     Shape::kMatchFalse, Record::kTarget,
     {{{200, "customer.verify no_match"}, {200, "customer.verify no_match"},
       {403, "customer.verify denied"}, {403, "customer.verify denied"},
       {200, "customer.verify no_match"}, {403, "customer.verify denied"}}}},

    {"get",
     [](Ctx& c) { return Call{"GET", Path(c.target), std::nullopt}; },
     Shape::kView, Record::kTarget,
     {{{200, "customer.read success"}, {200, "customer.read success"},
       {200, "customer.read success"}, {403, "customer.read denied"},
       {200, "customer.read success"}, {403, "customer.read denied"}}}},

    {"reveal email",
     [](Ctx& c) { return Call{"POST", Path(c.target, "/reveal"), Reveal("email")}; },
     Shape::kRevealEmail, Record::kTarget,
     {{{403, "customer.reveal denied"}, {403, "customer.reveal denied"},
       {403, "customer.reveal denied"}, {403, "customer.reveal denied"},
       {200, "customer.reveal success"}, {403, "customer.reveal denied"}}}},

    {"reveal phone",
     [](Ctx& c) { return Call{"POST", Path(c.target, "/reveal"), Reveal("phone")}; },
     Shape::kRevealPhone, Record::kTarget,
     {{{403, "customer.reveal denied"}, {403, "customer.reveal denied"},
       {200, "customer.reveal success"}, {403, "customer.reveal denied"},
       {200, "customer.reveal success"}, {403, "customer.reveal denied"}}}},

    {"reveal name",
     [](Ctx& c) { return Call{"POST", Path(c.target, "/reveal"), Reveal("name")}; },
     Shape::kRevealName, Record::kTarget,
     {{{403, "customer.reveal denied"}, {403, "customer.reveal denied"},
       {403, "customer.reveal denied"}, {403, "customer.reveal denied"},
       {200, "customer.reveal success"}, {403, "customer.reveal denied"}}}},

    {"find-or-create an existing customer",
     [](Ctx&) { return Call{"POST", "/v1/customers/find-or-create", Json{{"email", kEmailTyped}}}; },
     Shape::kFound, Record::kAny,
     {{{200, "customer.search success"}, {200, "customer.search success"},
       {200, "customer.search success"}, {403, "customer.search denied"},
       {200, "customer.search success"}, {403, "customer.search denied"}}}},

    {"find-or-create a new customer",
     [](Ctx& c) { return Call{"POST", "/v1/customers/find-or-create",
                              Json{{"email", "walk-in." + c.role + "@example.com"},
                                   {"phone", "+1 613 555 0177"}, {"name", "Walk In"}}}; },
     Shape::kCreated, Record::kAny,
     {{{201, "customer.search no_match;customer.create success"},
       {201, "customer.search no_match;customer.create success"},
       {403, "customer.search no_match;customer.create denied"},
       {403, "customer.search denied"},
       {403, "customer.search no_match;customer.create denied"},
       {403, "customer.search denied"}}}},

    {"update",
     [](Ctx& c) { return Call{"PATCH", Path(c.target), Json{{"name", kName}}}; },
     Shape::kView, Record::kTarget,
     {{{403, "customer.update denied"}, {403, "customer.update denied"},
       {200, "customer.update success"}, {403, "customer.update denied"},
       {403, "customer.update denied"}, {403, "customer.update denied"}}}},

    {"erase",
     [](Ctx& c) { return Call{"DELETE", Path(c.victim), std::nullopt}; },
     Shape::kErased, Record::kVictim,
     {{{403, "customer.erase denied"}, {403, "customer.erase denied"},
       {403, "customer.erase denied"}, {403, "customer.erase denied"},
       {200, "customer.erase success"}, {403, "customer.erase denied"}}}},

    {"auth me",
     [](Ctx&) { return Call{"GET", "/v1/auth/me", std::nullopt}; },
     Shape::kMe, Record::kAny,
     {{{200, ""}, {200, ""}, {200, ""}, {200, ""}, {200, ""}, {200, ""}}}},

    {"list employees",
     [](Ctx&) { return Call{"GET", "/v1/admin/employees", std::nullopt}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "admin.employees.list denied"}, {403, "admin.employees.list denied"},
       {403, "admin.employees.list denied"}, {403, "admin.employees.list denied"},
       {403, "admin.employees.list denied"}, {200, "admin.employees.list success"}}}},

    {"create employee",
     [](Ctx& c) { return Call{"POST", "/v1/admin/employees",
                              Json{{"username", "hire-" + c.role}, {"roles", Json::array({"cashier"})}}}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "admin.employees.create denied"}, {403, "admin.employees.create denied"},
       {403, "admin.employees.create denied"}, {403, "admin.employees.create denied"},
       {403, "admin.employees.create denied"}, {201, "admin.employees.create success"}}}},

    {"update employee",
     [](Ctx&) { return Call{"PATCH", "/v1/admin/employees/bystander",
                            Json{{"display_name", "By Stander"}}}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "admin.employees.update denied"}, {403, "admin.employees.update denied"},
       {403, "admin.employees.update denied"}, {403, "admin.employees.update denied"},
       {403, "admin.employees.update denied"}, {200, "admin.employees.update success"}}}},

    {"list service accounts",
     [](Ctx&) { return Call{"GET", "/v1/admin/service-accounts", std::nullopt}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "admin.service_accounts.list denied"}, {403, "admin.service_accounts.list denied"},
       {403, "admin.service_accounts.list denied"}, {403, "admin.service_accounts.list denied"},
       {403, "admin.service_accounts.list denied"}, {200, "admin.service_accounts.list success"}}}},

    {"create service account",
     [](Ctx& c) { return Call{"POST", "/v1/admin/service-accounts",
                              Json{{"name", "till-new-" + c.role}, {"roles", Json::array({"pos"})}}}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "admin.service_accounts.create denied"}, {403, "admin.service_accounts.create denied"},
       {403, "admin.service_accounts.create denied"}, {403, "admin.service_accounts.create denied"},
       {403, "admin.service_accounts.create denied"}, {201, "admin.service_accounts.create success"}}}},

    {"list tokens",
     [](Ctx&) { return Call{"GET", "/v1/admin/tokens", std::nullopt}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "admin.tokens.list denied"}, {403, "admin.tokens.list denied"},
       {403, "admin.tokens.list denied"}, {403, "admin.tokens.list denied"},
       {403, "admin.tokens.list denied"}, {200, "admin.tokens.list success"}}}},

    {"create token",
     [](Ctx&) { return Call{"POST", "/v1/admin/tokens",
                            Json{{"kind", "employee"}, {"name", "bystander"},
                                 {"description", "matrix"}}}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "admin.tokens.create denied"}, {403, "admin.tokens.create denied"},
       {403, "admin.tokens.create denied"}, {403, "admin.tokens.create denied"},
       {403, "admin.tokens.create denied"}, {201, "admin.tokens.create success"}}}},

    {"revoke token",
     [](Ctx& c) { return Call{"DELETE", "/v1/admin/tokens/" +
                                            c.server.IssueToken("employee", "bystander").row.id,
                              std::nullopt}; },
     Shape::kNoContent, Record::kAny,
     {{{403, "admin.tokens.revoke denied"}, {403, "admin.tokens.revoke denied"},
       {403, "admin.tokens.revoke denied"}, {403, "admin.tokens.revoke denied"},
       {403, "admin.tokens.revoke denied"}, {204, "admin.tokens.revoke success"}}}},

    {"read audit",
     [](Ctx&) { return Call{"GET", "/v1/audit?limit=5", std::nullopt}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "audit.read denied"}, {403, "audit.read denied"}, {403, "audit.read denied"},
       {403, "audit.read denied"}, {200, "audit.read success"}, {200, "audit.read success"}}}},

    {"verify audit",
     [](Ctx&) { return Call{"GET", "/v1/audit/verify", std::nullopt}; },
     Shape::kAdmin, Record::kAny,
     {{{403, "audit.verify denied"}, {403, "audit.verify denied"}, {403, "audit.verify denied"},
       {403, "audit.verify denied"}, {200, "audit.verify success"}, {200, "audit.verify success"}}}},
  };
  return *rows;
}
// clang-format on

struct ExpectedEntry {
  std::string action, outcome;
};

std::vector<ExpectedEntry> ParseAudit(const char* text) {
  std::vector<ExpectedEntry> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ';')) {
    std::stringstream words(part);
    ExpectedEntry e;
    words >> e.action >> e.outcome;
    if (!e.action.empty()) out.push_back(e);
  }
  return out;
}

// The server, the callers and the customers of one role's run.
struct World {
  explicit World(const RoleColumn& column) : col(column) {
    std::string role = col.role;
    if (role == "pos") {
      token = server.CreateServiceAccount("till-1", role);
    } else {
      std::string user = role == "privacy_officer" ? "privacy1" : role + "1";
      token = server.CreateEmployee(user, role);
    }
    server.CreateEmployee("bystander", "cashier");
    target = server.CreateCustomer(kEmail, kPhoneTyped, kName);
    victim = server.CreateCustomer("erase.me@example.com", "+1 438 555 0123", "Erin Rase");
  }

  Ctx ctx() { return Ctx{server, col.role, target, victim}; }

  const RoleColumn& col;
  TestServer server;
  std::string token, target, victim;
};

// Checks one field of a view against the role's level: absent for `none`,
// a mask (never the plaintext) from `masked` up.
void ExpectField(const Json& view, const char* field, const char* level,
                 const std::string& plaintext, const char* fixture_mask, bool is_fixture) {
  SCOPED_TRACE(field);
  ASSERT_TRUE(view.contains("access")) << view.dump();
  EXPECT_EQ(view["access"].value(field, ""), level);
  if (std::string(level) == "none" || std::string(level) == "match") {
    EXPECT_FALSE(view.contains(field)) << view.dump();
    return;
  }
  ASSERT_TRUE(view.contains(field)) << view.dump();
  ASSERT_TRUE(view[field].is_string());
  std::string shown = view[field].get<std::string>();
  EXPECT_NE(shown.find("•••"), std::string::npos) << shown;
  if (is_fixture) {
    EXPECT_EQ(shown, fixture_mask);
  }
  EXPECT_FALSE(ContainsIgnoreCase(shown, plaintext)) << shown;
}

void ExpectView(const Json& view, const RoleColumn& col, const std::string& id) {
  ASSERT_TRUE(view.is_object()) << view.dump();
  bool fixture = !id.empty();
  if (fixture) {
    EXPECT_EQ(view.value("id", ""), id);
  } else {
    EXPECT_TRUE(view.value("id", "").starts_with("cus_")) << view.dump();
  }
  ExpectField(view, "email", col.email, fixture ? kEmail : "@example.com", kEmailMask, fixture);
  ExpectField(view, "phone", col.phone, fixture ? kPhone : "555", kPhoneMask, fixture);
  ExpectField(view, "name", col.name, fixture ? kName : "Person", kNameMask, fixture);
  // Plaintext travels only through a reveal: never in a view.
  std::string text = view.dump();
  for (const char* secret : {kEmail, kPhone, kPhoneNational, kName, "new.", "walk-in.",
                             "New Person", "Walk In", "6135550142", "6135550177"}) {
    EXPECT_FALSE(ContainsIgnoreCase(text, secret)) << secret << " in " << text;
  }
}

void ExpectBody(const Response& r, Shape shape, const RoleColumn& col, const World& w) {
  switch (shape) {
    case Shape::kView:
      ExpectView(r.body, col, w.target);
      break;
    case Shape::kCreatedView:
      ExpectView(r.body, col, "");
      break;
    case Shape::kMatches:
      ASSERT_TRUE(r.body.contains("matches")) << r.text;
      ASSERT_EQ(r.body["matches"].size(), 1u) << r.text;
      ExpectView(r.body["matches"][0], col, w.target);
      break;
    case Shape::kFound:
      EXPECT_EQ(r.body.value("created", true), false) << r.text;
      ExpectView(r.body["customer"], col, w.target);
      break;
    case Shape::kCreated:
      EXPECT_EQ(r.body.value("created", false), true) << r.text;
      ExpectView(r.body["customer"], col, "");
      break;
    case Shape::kMatchTrue:
      EXPECT_EQ(r.body, Json::object({{"match", true}}));
      break;
    case Shape::kMatchFalse:
      EXPECT_EQ(r.body, Json::object({{"match", false}}));
      break;
    case Shape::kRevealEmail:
    case Shape::kRevealPhone:
    case Shape::kRevealName: {
      const char* field = shape == Shape::kRevealEmail   ? "email"
                          : shape == Shape::kRevealPhone ? "phone"
                                                         : "name";
      const char* value = shape == Shape::kRevealEmail   ? kEmail
                          : shape == Shape::kRevealPhone ? kPhone
                                                         : kName;
      EXPECT_EQ(r.body.value("id", ""), w.target);
      EXPECT_EQ(r.body["values"], Json::object({{field, value}})) << r.text;
      break;
    }
    case Shape::kErased:
      EXPECT_EQ(r.body.value("id", ""), w.victim);
      EXPECT_EQ(r.body.value("actor", ""), col.principal);
      break;
    case Shape::kMe:
      EXPECT_EQ(r.body["roles"], Json::array({col.role}));
      EXPECT_EQ(r.body["fields"],
                Json::object({{"email", col.email}, {"phone", col.phone}, {"name", col.name}}));
      break;
    case Shape::kAdmin:
      EXPECT_TRUE(r.body.is_object()) << r.text;
      for (const char* secret : {kEmail, kPhone, kPhoneNational, kName}) {
        EXPECT_FALSE(ContainsIgnoreCase(r.text, secret)) << secret;
      }
      break;
    case Shape::kNoContent:
      EXPECT_TRUE(r.text.empty()) << r.text;
      break;
  }
}

enum class Check { kStatusAndFields, kAudit };

// Runs every route of the table as one role and checks its column.
void RunMatrix(const RoleColumn& col, Check check) {
  World w(col);
  size_t column = &col - kRoles.data();
  for (const RouteRow& row : Routes()) {
    SCOPED_TRACE(std::string(col.role) + " × " + row.route);
    const Cell& cell = row.cells[column];
    Ctx ctx = w.ctx();
    Call call = row.call(ctx);
    int64_t before = w.server.LastAuditSeq();
    Response r = call.body
                     ? w.server.client().Send(call.method, call.path,
                                              {{"Authorization", "Bearer " + w.token}},
                                              call.body->dump(), "application/json")
                     : w.server.client().Send(call.method, call.path,
                                              {{"Authorization", "Bearer " + w.token}}, "", "");
    ASSERT_EQ(r.status, cell.status) << r.text;
    std::string request_id = r.Header("X-Request-Id");
    EXPECT_FALSE(request_id.empty());

    if (check == Check::kStatusAndFields) {
      EXPECT_EQ(r.Header("Cache-Control"), "no-store");
      if (r.status >= 400) {
        EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
        EXPECT_EQ(r.Code(), "forbidden") << r.text;
        EXPECT_EQ(r.body.value("request_id", ""), request_id);
        for (const char* secret : {kEmail, kPhone, kPhoneNational, kName}) {
          EXPECT_FALSE(ContainsIgnoreCase(r.text, secret)) << secret;
        }
      } else {
        ExpectBody(r, row.shape, col, w);
      }
      continue;
    }

    std::vector<ExpectedEntry> want = ParseAudit(cell.audit);
    std::vector<store::AuditRow> got = w.server.AuditAfter(before);
    ASSERT_EQ(got.size(), want.size()) << "audit entries after the call";
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE("entry " + std::to_string(i));
      EXPECT_EQ(got[i].action, want[i].action);
      EXPECT_EQ(got[i].outcome, want[i].outcome);
      EXPECT_EQ(got[i].principal, col.principal);
      EXPECT_EQ(got[i].roles, col.role);
      EXPECT_EQ(got[i].request_id, request_id);
      EXPECT_EQ(got[i].client, "127.0.0.1");
      if (row.record == Record::kTarget) {
        EXPECT_EQ(got[i].record_id, w.target);
      } else if (row.record == Record::kVictim) {
        EXPECT_EQ(got[i].record_id, w.victim);
      }
      if (got[i].action == "customer.reveal") {
        // The reason is recorded once it was checked (1-200 characters).
        if (got[i].outcome == "success") {
          EXPECT_EQ(got[i].reason, "customer called about an order");
        }
        EXPECT_TRUE(got[i].fields == "email:" + std::string(col.email) ||
                    got[i].fields == "phone:" + std::string(col.phone) ||
                    got[i].fields == "name:" + std::string(col.name))
            << got[i].fields;
      }
      if (got[i].action == "customer.create" && got[i].outcome == "success" && r.body.is_object()) {
        std::string id = r.body.contains("customer") ? r.body["customer"].value("id", "")
                                                     : r.body.value("id", "");
        EXPECT_EQ(got[i].record_id, id);
      }
    }
  }
}

class AccessMatrixTest : public ::testing::TestWithParam<size_t> {};

TEST_P(AccessMatrixTest, StatusAndFieldLevelsFollowThePolicy) {
  RunMatrix(kRoles[GetParam()], Check::kStatusAndFields);
}

TEST_P(AccessMatrixTest, EveryCallLeavesExactlyItsAuditEntry) {
  RunMatrix(kRoles[GetParam()], Check::kAudit);
}

INSTANTIATE_TEST_SUITE_P(ShippedRoles, AccessMatrixTest, ::testing::Range<size_t>(0, kRoleCount),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(kRoles[info.param].role);
                         });

// The table's columns are exactly the shipped policy's roles, with its field
// levels: a role added to config/policy.toml without a column fails here.
TEST(AccessMatrixTest, TableCoversEveryShippedRoleAndItsFieldLevels) {
  auto policy = policy::Policy::LoadFile(testing::SourceDir() + "/config/policy.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  std::vector<std::string> table;
  for (const RoleColumn& col : kRoles) table.push_back(col.role);
  std::sort(table.begin(), table.end());
  EXPECT_EQ(policy->RoleNames(), table);
  for (const RoleColumn& col : kRoles) {
    std::vector<std::string> roles = {col.role};
    EXPECT_EQ(policy::LevelName(policy->FieldLevel(roles, policy::Field::kEmail)), col.email);
    EXPECT_EQ(policy::LevelName(policy->FieldLevel(roles, policy::Field::kPhone)), col.phone);
    EXPECT_EQ(policy::LevelName(policy->FieldLevel(roles, policy::Field::kName)), col.name);
  }
}

// The hand-over workflow: the customer types their email (odd spacing and
// case); the cashier finds them, sees only masks, and no route ever hands the
// cashier the plaintext email, phone or name.
TEST(AccessMatrixTest, CashierFindsCustomerByTypedEmailAndNeverReceivesPlaintext) {
  TestServer server;
  std::string token = server.CreateEmployee("cashier1", "cashier");
  std::string id = server.CreateCustomer(kEmail, kPhoneTyped, kName);
  auto client = server.NewClient();

  Response found = client->Post("/v1/customers/search", token, {{"email", kEmailTyped}});
  ASSERT_EQ(found.status, 200) << found.text;
  ASSERT_EQ(found.body["matches"].size(), 1u);
  EXPECT_EQ(found.body["matches"][0]["id"], id);
  EXPECT_EQ(found.body["matches"][0]["email"], kEmailMask);
  EXPECT_EQ(found.body["matches"][0]["phone"], kPhoneMask);

  // Every route, every way of asking for more.
  client->Post("/v1/customers/search", token, {{"phone", kPhoneTyped}});
  client->Post("/v1/customers/find-or-create", token, {{"email", kEmailTyped}});
  client->Post(Path(id, "/verify"), token, {{"email", kEmail}});
  client->Get(Path(id), token);
  for (const char* f : {"email", "phone", "name"}) {
    Response r = client->Post(Path(id, "/reveal"), token, Reveal(f));
    EXPECT_EQ(r.status, 403) << f;
  }
  EXPECT_EQ(client
                ->Post(Path(id, "/reveal"), token,
                       {{"fields", Json::array({"email", "phone", "name"})}, {"reason", "please"}})
                .status,
            403);
  EXPECT_EQ(client->Patch(Path(id), token, {{"name", "Other Name"}}).status, 403);
  client->Get("/v1/auth/me", token);
  client->Get("/v1/audit?record=" + id, token);
  EXPECT_EQ(client->Delete(Path(id), token).status, 403);
  // The customer is still there, unchanged.
  Response after = client->Get(Path(id), token);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body["name"], kNameMask);

  std::vector<Response> seen = client->History();
  ASSERT_GE(seen.size(), 14u);
  for (const Response& r : seen) {
    SCOPED_TRACE(r.method + " " + r.path);
    std::string everything = r.text;
    for (const auto& [k, v] : r.headers) everything += "\n" + k + ": " + v;
    for (const char* secret :
         {kEmail, "jane.doe", kPhone, kPhoneNational, "514-555-0199", "555-0199", kName, "Jane"}) {
      EXPECT_FALSE(ContainsIgnoreCase(everything, secret)) << secret << " in " << r.text;
    }
  }
}

}  // namespace
}  // namespace vault
