// The privacy promises against the real server (in-process, port 0, real
// TLS), one test per promise: nothing shared without consent, data destroyed
// when no longer needed, erasure receipts that check out against the audit
// chain, and access requests that list every access. The fixture builds the
// four privacy services with its own options (an officer, no schedule) on
// the server's own store, policy and audit log and hands them to the routes.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "service/access_request.h"
#include "service/consent_ledger.h"
#include "service/marketing_export.h"
#include "service/retention_job.h"
#include "store/privacy_tables.h"
#include "store/vault_tables.h"
#include "support/test_server.h"

namespace vault {
namespace {

using testing::Json;
using testing::Response;
using testing::TestServer;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr char kNotice[] = "notice-2026-11";

std::string Customer(const std::string& id, const char* suffix = "") {
  return "/v1/customers/" + id + suffix;
}

class PrivacyTest : public ::testing::Test {
 protected:
  PrivacyTest() {
    service::PrivacyOptions options = service::PrivacyOptions::FromConfig(Config{});
    options.officer = {"Pat Officer", "privacy@shop.example", ""};
    options.schedule_minutes = 0;  // the tests run retention themselves
    consents_ = std::make_unique<service::ConsentLedger>(server_.store(), server_.policy(),
                                                         server_.audit(), options);
    marketing_export_ = std::make_unique<service::MarketingExport>(
        server_.customers(), server_.store(), server_.policy(), server_.audit(), options);
    retention_ = std::make_unique<service::RetentionJob>(
        server_.customers(), server_.store(), server_.policy(), server_.audit(), options);
    access_requests_ = std::make_unique<service::AccessRequest>(
        server_.customers(), server_.store(), server_.policy(), server_.audit(), options);
    server_.app().consents = consents_.get();
    server_.app().marketing = marketing_export_.get();
    server_.app().retention = retention_.get();
    server_.app().access_requests = access_requests_.get();
    cashier_ = server_.CreateEmployee("cashier1", "cashier");
    pos_ = server_.CreateServiceAccount("till-1", "pos");
    support_ = server_.CreateEmployee("support1", "support");
    marketing_ = server_.CreateEmployee("marketing1", "marketing");
    privacy_officer_ = server_.CreateEmployee("privacy1", "privacy_officer");
    admin_ = server_.CreateEmployee("admin1", "admin");
  }
  // Stops the server (and its services) before the fixture's services go.
  ~PrivacyTest() override { server_.Shutdown(); }

  testing::TestClient& c() { return server_.client(); }

  std::string Create(const std::string& email, const std::string& phone, const std::string& name) {
    Response r =
        c().Post("/v1/customers", pos_, {{"email", email}, {"phone", phone}, {"name", name}});
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body.value("id", "");
  }

  Response SetConsent(const std::string& token, const std::string& id, const std::string& purpose,
                      bool granted, const char* channel) {
    return c().Send(
        "PUT", Customer(id, "/consents/") + purpose, {{"Authorization", "Bearer " + token}},
        Json{{"granted", granted}, {"channel", channel}, {"notice_version", kNotice}}.dump(),
        "application/json");
  }

  Response MarketingExport(const std::string& token, const std::string& purpose) {
    return c().Post("/v1/exports/marketing", token, {{"purpose", purpose}});
  }

  std::optional<store::CustomerRow> RawRow(const std::string& id) {
    std::optional<store::CustomerRow> row;
    EXPECT_TRUE(server_.store()
                    .Read([&](store::Database& db) -> Status {
                      ASSIGN_OR_RETURN(row, store::FindCustomer(db, id));
                      return Status::Ok();
                    })
                    .ok());
    return row;
  }

  // The live database file and its WAL, as an attacker copying the disk sees them.
  std::string DiskBytes() {
    return testing::ReadFileBytes(server_.db_path()) +
           testing::ReadFileBytes(server_.db_path() + "-wal");
  }

  TestServer server_;
  std::unique_ptr<service::ConsentLedger> consents_;
  std::unique_ptr<service::MarketingExport> marketing_export_;
  std::unique_ptr<service::RetentionJob> retention_;
  std::unique_ptr<service::AccessRequest> access_requests_;
  std::string cashier_, pos_, support_, marketing_, privacy_officer_, admin_;
};

TEST_F(PrivacyTest, NothingSharedWithoutConsent) {
  std::string ann = Create("ann@example.com", "+1 514 555 0131", "Ann Oui");
  std::string bob = Create("bob@example.com", "+1 514 555 0132", "Bob Non");
  std::string sue = Create("sue@example.com", "+1 514 555 0133", "Sue Texto");
  // Consent given at the till and on the terminal; Bob said no.
  ASSERT_EQ(SetConsent(cashier_, ann, "marketing_email", true, "web").status, 200);
  ASSERT_EQ(SetConsent(pos_, bob, "marketing_email", false, "pos").status, 200);
  ASSERT_EQ(SetConsent(pos_, sue, "marketing_sms", true, "pos").status, 200);

  Response before = MarketingExport(marketing_, "marketing_email");
  ASSERT_EQ(before.status, 200) << before.text;
  EXPECT_EQ(before.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(before.Header("Cache-Control"), "no-store");
  EXPECT_EQ(before.text, "id,email\r\n" + ann + ",ann@example.com\r\n");

  // Ann changes her mind with support: gone from the next export.
  Response withdraw = SetConsent(support_, ann, "marketing_email", false, "staff");
  ASSERT_EQ(withdraw.status, 200) << withdraw.text;
  EXPECT_EQ(withdraw.body["granted"], false);
  Response after = MarketingExport(marketing_, "marketing_email");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.text, "id,email\r\n");

  // The customer card's consent state, for anyone who may read the customer.
  Response state = c().Get(Customer(ann, "/consents"), cashier_);
  ASSERT_EQ(state.status, 200) << state.text;
  EXPECT_EQ(state.body["consents"]["marketing_email"]["granted"], false);
  EXPECT_EQ(state.body["consents"]["marketing_email"]["channel"], "staff");
  EXPECT_TRUE(state.body["consents"]["marketing_sms"]["at"].is_null());

  // The full history, in the access export.
  Response access =
      c().Post(Customer(ann, "/export"), privacy_officer_, {{"reason", "Ann asked what we hold"}});
  ASSERT_EQ(access.status, 200) << access.text;
  const Json& history = access.body["consent_history"];
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["granted"], true);
  EXPECT_EQ(history[0]["actor"], "employee:cashier1");
  EXPECT_EQ(history[0]["channel"], "web");
  EXPECT_EQ(history[1]["granted"], false);
  EXPECT_EQ(history[1]["actor"], "employee:support1");
  EXPECT_EQ(history[1]["notice_version"], kNotice);
  EXPECT_EQ(history[1]["notice_hash"], Config{}.notices.at(kNotice));

  // An SMS purpose carries the phone and nothing else.
  Response texts = MarketingExport(marketing_, "marketing_sms");
  ASSERT_EQ(texts.status, 200);
  EXPECT_EQ(texts.text, "id,phone\r\n" + sue + ",+15145550133\r\n");

  // Never a phone in an email export, never a name for marketing.
  for (const Response* r : {&before, &after}) {
    for (const char* absent : {"+1514", "Ann Oui", "Bob", "bob@", "sue@"}) {
      EXPECT_EQ(r->text.find(absent), std::string::npos) << absent;
    }
  }

  // Every change and every export audited: who, which purpose, how many rows.
  std::vector<std::string> consent, exports;
  for (const auto& e : server_.AuditAfter(0)) {
    if (e.action == "consent.write") consent.push_back(e.principal + " " + e.detail);
    if (e.action == "marketing.export") exports.push_back(e.detail);
  }
  EXPECT_EQ(consent, (std::vector<std::string>{
                         "employee:cashier1 purpose=marketing_email granted=true channel=web "
                         "notice=notice-2026-11",
                         "service:till-1 purpose=marketing_email granted=false channel=pos "
                         "notice=notice-2026-11",
                         "service:till-1 purpose=marketing_sms granted=true channel=pos "
                         "notice=notice-2026-11",
                         "employee:support1 purpose=marketing_email granted=false "
                         "channel=staff notice=notice-2026-11"}));
  EXPECT_EQ(exports, (std::vector<std::string>{"purpose=marketing_email rows=1",
                                               "purpose=marketing_email rows=0",
                                               "purpose=marketing_sms rows=1"}));
}

TEST_F(PrivacyTest, OnlyTheMarketingRoleExports) {
  std::string ann = Create("ann@example.com", "+1 514 555 0131", "Ann Oui");
  ASSERT_EQ(SetConsent(cashier_, ann, "marketing_email", true, "web").status, 200);
  for (const std::string* token : {&cashier_, &pos_, &support_, &privacy_officer_, &admin_}) {
    Response r = MarketingExport(*token, "marketing_email");
    EXPECT_EQ(r.status, 403) << r.text;
    EXPECT_EQ(r.Code(), "forbidden");
    EXPECT_EQ(r.text.find("ann@"), std::string::npos);
  }
  EXPECT_EQ(MarketingExport("", "marketing_email").status, 401);
  EXPECT_EQ(MarketingExport(marketing_, "share_with_partners").Code(), "purpose_not_exportable");
  EXPECT_EQ(MarketingExport(marketing_, "newsletter").Code(), "purpose_unknown");
  // And marketing records no consent.
  EXPECT_EQ(SetConsent(marketing_, ann, "marketing_email", true, "web").status, 403);
}

TEST_F(PrivacyTest, ConsentWritesAreValidated) {
  std::string ann = Create("ann@example.com", "+1 514 555 0131", "Ann Oui");
  EXPECT_EQ(SetConsent(pos_, ann, "newsletter", true, "pos").Code(), "purpose_unknown");
  EXPECT_EQ(SetConsent(pos_, ann, "marketing_email", true, "fax").Code(), "channel_invalid");
  EXPECT_EQ(SetConsent(pos_, "cus_" + std::string(32, 'a'), "marketing_email", true, "pos").status,
            404);
  Response no_notice = c().Send("PUT", Customer(ann, "/consents/marketing_email"),
                                {{"Authorization", "Bearer " + pos_}},
                                R"({"granted": true, "channel": "pos"})", "application/json");
  EXPECT_EQ(no_notice.status, 400);
  Response stale = c().Send(
      "PUT", Customer(ann, "/consents/marketing_email"), {{"Authorization", "Bearer " + pos_}},
      R"({"granted": true, "channel": "pos", "notice_version": "notice-1999"})",
      "application/json");
  EXPECT_EQ(stale.Code(), "notice_unknown");
}

TEST_F(PrivacyTest, DataDestroyedWhenNoLongerNeeded) {
  // Three customers last seen 800 days ago, one of whom buys something today.
  service::CustomerService past(server_.store(), server_.keys(), {"CA"},
                                [] { return SystemNowMillis() - 800 * kDayMs; });
  std::vector<std::string> stale;
  for (const char* email : {"old1@example.com", "old2@example.com", "old3@example.com"}) {
    auto c = past.Create({email, std::nullopt, std::string("Old Timer")});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    stale.push_back(c->id);
  }
  std::string fresh = Create("new@example.com", "+1 514 555 0141", "New Comer");
  Response seen = c().Post(Customer(stale[2], "/seen"), pos_, Json::object());
  ASSERT_EQ(seen.status, 204) << seen.text;
  EXPECT_EQ(c().Post(Customer(stale[2], "/seen"), marketing_, Json::object()).status, 403);
  EXPECT_EQ(c().Post(Customer("cus_" + std::string(32, 'b'), "/seen"), pos_, Json::object()).status,
            404);
  std::optional<store::CustomerRow> doomed = RawRow(stale[0]);
  ASSERT_TRUE(doomed.has_value());

  EXPECT_EQ(c().Post("/v1/admin/retention/run", cashier_, {{"dry_run", true}}).status, 403);
  EXPECT_EQ(c().Post("/v1/admin/retention/run", admin_, {{"dry_run", true}}).status, 403);
  Response dry = c().Post("/v1/admin/retention/run", privacy_officer_, {{"dry_run", true}});
  ASSERT_EQ(dry.status, 200) << dry.text;
  EXPECT_EQ(dry.body["dry_run"], true);
  EXPECT_EQ(dry.body["erasures"], 2);
  EXPECT_EQ(dry.body["by_reason"], (Json{{"unseen_over_730_days", 2}}));
  EXPECT_EQ(server_.CountCustomers(), 4);

  Response run = c().Post("/v1/admin/retention/run", privacy_officer_, {{"dry_run", false}});
  ASSERT_EQ(run.status, 200) << run.text;
  EXPECT_EQ(run.body["erasures"], dry.body["erasures"]);
  EXPECT_EQ(run.body["by_reason"], dry.body["by_reason"]);
  EXPECT_EQ(server_.CountCustomers(), 2);

  // Gone from search, verify and reveal.
  for (const char* email : {"old1@example.com", "old2@example.com"}) {
    Response r = c().Post("/v1/customers/search", privacy_officer_, {{"email", email}});
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.body["matches"].empty()) << email;
  }
  EXPECT_EQ(
      c().Post(Customer(stale[0], "/verify"), privacy_officer_, {{"email", "old1@example.com"}})
          .status,
      404);
  EXPECT_EQ(c().Post(Customer(stale[0], "/reveal"), privacy_officer_,
                     {{"fields", Json::array({"email"})}, {"reason", "check"}})
                .status,
            404);
  Response kept =
      c().Post("/v1/customers/search", privacy_officer_, {{"email", "old3@example.com"}});
  EXPECT_EQ(kept.body["matches"].size(), 1u) << "a customer seen today was erased";

  // Gone from the disk while the server runs: the file and the WAL hold no
  // byte of the wrapped key, the ciphertext or the blind index.
  std::string bytes = DiskBytes();
  EXPECT_FALSE(testing::Contains(bytes, doomed->dek)) << "wrapped DEK survived";
  EXPECT_FALSE(testing::Contains(bytes, *doomed->email_ct)) << "email ciphertext survived";
  EXPECT_FALSE(testing::Contains(bytes, *doomed->email_idx)) << "blind index survived";
  EXPECT_FALSE(testing::Contains(bytes, "old1@example.com"));

  // Each purge is an erasure in the audit log, and the run is recorded.
  std::set<std::string> erased;
  int runs = 0;
  for (const auto& e : server_.AuditAfter(0)) {
    if (e.action == "customer.erase") {
      erased.insert(e.record_id);
      EXPECT_EQ(e.reason, "retention: unseen_over_730_days");
    }
    if (e.action == "retention.run" && e.outcome == "success") ++runs;
  }
  EXPECT_EQ(erased, (std::set<std::string>{stale[0], stale[1]}));
  EXPECT_EQ(runs, 2);
  (void)fresh;
}

TEST_F(PrivacyTest, ErasureReceiptVerifiesAgainstTheChain) {
  std::string ann = Create("ann@example.com", "+1 514 555 0131", "Ann Oui");
  std::string bob = Create("bob@example.com", "+1 514 555 0132", "Bob Non");
  ASSERT_EQ(SetConsent(cashier_, ann, "marketing_email", true, "web").status, 200);
  std::optional<store::CustomerRow> row = RawRow(ann);
  ASSERT_TRUE(row.has_value());

  Response erased = c().Delete(Customer(ann), privacy_officer_);
  ASSERT_EQ(erased.status, 200) << erased.text;
  Json receipt = erased.body;

  for (const std::string* token : {&privacy_officer_, &admin_}) {
    Response ok = c().Post("/v1/audit/receipts/verify", *token, receipt);
    ASSERT_EQ(ok.status, 200) << ok.text;
    EXPECT_EQ(ok.body["valid"], true) << ok.text;
  }
  EXPECT_EQ(c().Post("/v1/audit/receipts/verify", cashier_, receipt).status, 403);

  std::vector<Json> forgeries;
  for (const char* member : {"id", "actor", "audit_seq", "erased_at", "audit_mac"}) {
    Json forged = receipt;
    if (std::string(member) == "id") forged["id"] = bob;
    if (std::string(member) == "actor") forged["actor"] = "employee:cashier1";
    if (std::string(member) == "audit_seq") forged["audit_seq"] = 1;
    if (std::string(member) == "erased_at")
      forged["erased_at"] = receipt["erased_at"].get<int64_t>() + 1;
    if (std::string(member) == "audit_mac") forged["audit_mac"] = std::string(64, '0');
    Response r = c().Post("/v1/audit/receipts/verify", privacy_officer_, forged);
    ASSERT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(r.body["valid"], false) << member;
    EXPECT_TRUE(r.body["problem"].is_string()) << member;
  }

  // The erasure took the consent rows; their audit entries remain.
  std::vector<store::ConsentRow> left;
  ASSERT_TRUE(server_.store()
                  .Read([&](store::Database& db) -> Status {
                    ASSIGN_OR_RETURN(left, store::ConsentHistory(db, ann));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_TRUE(left.empty());
  int consent_entries = 0;
  for (const auto& e : server_.AuditAfter(0)) {
    consent_entries += e.action == "consent.write" && e.record_id == ann;
  }
  EXPECT_EQ(consent_entries, 1);
  EXPECT_EQ(c().Get(Customer(ann, "/consents"), cashier_).status, 404);

  // With secure_delete on, the record's bytes are gone from the file. The
  // WAL keeps the pages as they were before the erasure until it is
  // truncated: the retention job does that after each run (on its schedule);
  // DELETE itself does not yet, so the test does it here.
  ASSERT_TRUE(retention_->ScrubWal().ok());
  std::string bytes = DiskBytes();
  EXPECT_FALSE(testing::Contains(bytes, row->dek));
  EXPECT_FALSE(testing::Contains(bytes, *row->email_ct));
  EXPECT_FALSE(testing::Contains(bytes, *row->email_idx));
  EXPECT_FALSE(testing::Contains(bytes, "ann@example.com"));
}

TEST_F(PrivacyTest, AccessRequestListsEveryAccess) {
  std::string ann = Create("ann@example.com", "+1 514 555 0131", "Ann Oui");
  std::string bob = Create("bob@example.com", "+1 514 555 0132", "Bob Non");
  // Ann's data is looked at in every way; Bob's too, and none of that may
  // show in Ann's export.
  for (const std::string& id : {ann, bob}) {
    ASSERT_EQ(SetConsent(pos_, id, "marketing_email", true, "pos").status, 200);
    ASSERT_EQ(c().Get(Customer(id), cashier_).status, 200);
    ASSERT_EQ(c().Post(Customer(id, "/reveal"), support_,
                       {{"fields", Json::array({"phone"})}, {"reason", "call back about an order"}})
                  .status,
              200);
    ASSERT_EQ(c().Post(Customer(id, "/seen"), pos_, Json::object()).status, 204);
  }
  ASSERT_EQ(c().Post("/v1/customers/search", cashier_, {{"email", "ann@example.com"}}).status, 200);
  ASSERT_EQ(c().Post(Customer(ann, "/verify"), cashier_, {{"phone", "5145550131"}}).status, 200);
  ASSERT_EQ(c().Patch(Customer(ann), support_, {{"name", "Ann Oui-Non"}}).status, 200);

  EXPECT_EQ(c().Post(Customer(ann, "/export"), support_, {{"reason", "asked"}}).status, 403);
  EXPECT_EQ(c().Post(Customer(ann, "/export"), privacy_officer_, Json::object()).Code(),
            "reason_required");
  Response out = c().Post(Customer(ann, "/export"), privacy_officer_,
                          {{"reason", "access request by letter, 2026-11-03"}});
  ASSERT_EQ(out.status, 200) << out.text;

  const Json& customer = out.body["customer"];
  EXPECT_EQ(customer["id"], ann);
  EXPECT_EQ(customer["email"], "ann@example.com");
  EXPECT_EQ(customer["phone"], "+15145550131");
  EXPECT_EQ(customer["name"], "Ann Oui-Non");
  EXPECT_EQ(out.body["privacy_officer"]["email"], "privacy@shop.example");
  ASSERT_EQ(out.body["notices"].size(), 1u);
  EXPECT_EQ(out.body["notices"][0]["version"], kNotice);
  EXPECT_EQ(out.body["consents"]["marketing_email"]["granted"], true);

  // Every audit entry about Ann, in order, and this export among them.
  std::vector<int64_t> expected, listed;
  for (const auto& e : server_.AuditAfter(0)) {
    if (e.record_id == ann) expected.push_back(e.seq);
  }
  std::multiset<std::string> actions;
  for (const auto& a : out.body["accesses"]) {
    listed.push_back(a["seq"].get<int64_t>());
    actions.insert(a["action"].get<std::string>());
  }
  EXPECT_EQ(listed, expected);
  for (const char* action :
       {"customer.create", "consent.write", "customer.read", "customer.reveal", "customer.seen",
        "customer.search", "customer.verify", "customer.update", "customer.export"}) {
    EXPECT_GE(actions.count(action), 1u) << action;
  }
  const Json& last = out.body["accesses"].back();
  EXPECT_EQ(last["action"], "customer.export");
  EXPECT_EQ(last["principal"], "employee:privacy1");
  EXPECT_EQ(last["reason"], "access request by letter, 2026-11-03");

  // Nothing about Bob.
  for (const std::string& other :
       {bob, std::string("bob@example.com"), std::string("+15145550132"), std::string("Bob Non")}) {
    EXPECT_EQ(out.text.find(other), std::string::npos) << other;
  }
  // And no plaintext in the server's log.
  for (const auto& line : server_.LogLines()) {
    EXPECT_EQ(line.find("ann@example.com"), std::string::npos) << line;
    EXPECT_EQ(line.find("+15145550131"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace vault
