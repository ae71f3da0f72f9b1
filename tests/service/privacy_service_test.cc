// PrivacyService without HTTP: the consent ledger, the consented export,
// retention, erasure receipts and access requests, on a real vault in a temp
// dir with the shipped policy and a clock the tests move.
#include "service/privacy_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/util.h"
#include "store/privacy_tables.h"
#include "store/vault_tables.h"
#include "support/test_vault.h"

namespace vault::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vault::testing::MakeTestVault;
using vault::testing::SourceDir;
using vault::testing::TestVault;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kStart = 1'800'000'000'000;  // a fixed "now", Unix ms
constexpr char kNotice[] = "notice-2026-11";

auth::Principal Who(const std::string& name, const std::string& role,
                    auth::Principal::Kind kind = auth::Principal::Kind::kEmployee) {
  auth::Principal p;
  p.kind = kind;
  p.name = name;
  p.roles = {role};
  return p;
}

PrivacyOptions Options() {
  PrivacyOptions o = PrivacyOptions::FromConfig(Config{});
  o.officer = {"Pat Officer", "privacy@shop.example", "+15145550100"};
  o.erase_after_days_unseen = 730;
  o.schedule_minutes = 0;
  return o;
}

// A vault, the shipped policy and every service, sharing one movable clock.
class PrivacyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(Options()); }

  void Build(PrivacyOptions options, std::optional<std::string> policy_text = std::nullopt) {
    privacy_.reset();
    access_.reset();
    audit_.reset();
    customers_.reset();
    if (vault_ == nullptr) vault_ = MakeTestVault();
    auto policy = policy_text ? policy::Policy::Parse(*policy_text, "test policy")
                              : policy::Policy::LoadFile(SourceDir() + "/config/policy.toml");
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    policy_.emplace(std::move(policy).value());
    Clock clock = [this] { return now_.load(); };
    customers_ = std::make_unique<CustomerService>(vault_->store(), vault_->keys(),
                                                   CustomerServiceOptions{"CA"}, clock);
    audit_ = std::make_unique<audit::AuditLog>(vault_->store(), vault_->keys(), clock);
    access_ = std::make_unique<AccessService>(*customers_, *policy_, *audit_, clock);
    privacy_ = std::make_unique<PrivacyService>(*customers_, vault_->store(), *policy_, *audit_,
                                                std::move(options), clock);
  }

  std::string NewCustomer(const std::string& email, const std::optional<std::string>& phone,
                          const std::optional<std::string>& name = std::nullopt) {
    auto c = customers_->Create({email, phone, name});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->id : "";
  }

  void Consent(const std::string& id, const std::string& purpose, bool granted) {
    auto st = privacy_->SetConsent(cashier_, meta_, id, {purpose, granted, "pos", kNotice});
    ASSERT_TRUE(st.ok()) << st.status().ToString();
  }

  MarketingExport Export(const std::string& purpose) {
    auto out = privacy_->ExportMarketing(marketing_, meta_, purpose);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : MarketingExport{};
  }

  std::vector<store::AuditRow> Audit() {
    std::vector<store::AuditRow> rows;
    EXPECT_TRUE(vault_->store()
                    .Read([&](store::Database& db) {
                      return store::ScanAudit(db, 0, [&](const store::AuditRow& r) {
                        rows.push_back(r);
                        return Status::Ok();
                      });
                    })
                    .ok());
    return rows;
  }

  std::vector<store::ConsentRow> History(const std::string& id) {
    std::vector<store::ConsentRow> rows;
    EXPECT_TRUE(vault_->store()
                    .Read([&](store::Database& db) -> Status {
                      ASSIGN_OR_RETURN(rows, store::ConsentHistory(db, id));
                      return Status::Ok();
                    })
                    .ok());
    return rows;
  }

  std::atomic<int64_t> now_{kStart};
  std::unique_ptr<TestVault> vault_;
  std::optional<policy::Policy> policy_;
  std::unique_ptr<CustomerService> customers_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<PrivacyService> privacy_;
  RequestMeta meta_{"req_test", "127.0.0.1"};
  auth::Principal cashier_ = Who("cashier1", "cashier");
  auth::Principal marketing_ = Who("marketing1", "marketing");
  auth::Principal officer_ = Who("privacy1", "privacy_officer");
  auth::Principal admin_ = Who("admin1", "admin");
};

// --- consent ledger ---

TEST_F(PrivacyServiceTest, ConsentHistoryKeepsEveryGrantAndWithdrawal) {
  std::string id = NewCustomer("ann@example.com", std::nullopt);
  Consent(id, "marketing_email", true);
  now_ += 1000;
  Consent(id, "marketing_email", false);

  auto rows = History(id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].granted);
  EXPECT_FALSE(rows[1].granted);
  for (const auto& r : rows) {
    EXPECT_EQ(r.purpose, "marketing_email");
    EXPECT_EQ(r.channel, "pos");
    EXPECT_EQ(r.actor, "employee:cashier1");
    EXPECT_EQ(r.notice_version, kNotice);
    EXPECT_EQ(r.notice_hash, Config{}.notices.at(kNotice));
    EXPECT_GT(r.audit_seq, 0);
  }
  EXPECT_EQ(rows[1].time_ms - rows[0].time_ms, 1000);

  auto state = privacy_->Consents(cashier_, meta_, id);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->size(), 3u);  // every configured purpose
  EXPECT_EQ((*state)[0].purpose, "marketing_email");
  EXPECT_TRUE((*state)[0].recorded);
  EXPECT_FALSE((*state)[0].granted);
  EXPECT_FALSE((*state)[1].recorded);  // marketing_sms: never asked

  // Each change has its own audit entry, naming purpose and outcome.
  int consent_entries = 0;
  for (const auto& e : Audit()) {
    if (e.action != "consent.write") continue;
    ++consent_entries;
    EXPECT_EQ(e.record_id, id);
    EXPECT_THAT(e.detail, HasSubstr("purpose=marketing_email"));
  }
  EXPECT_EQ(consent_entries, 2);
}

TEST_F(PrivacyServiceTest, ConsentLedgerIsAppendOnly) {
  std::string id = NewCustomer("ann@example.com", std::nullopt);
  Consent(id, "marketing_email", true);
  for (const char* sql : {"UPDATE consent_events SET granted = 0", "DELETE FROM consent_events"}) {
    Status st = vault_->store().Write([&](store::Database& db) { return db.Execute(sql); });
    EXPECT_FALSE(st.ok()) << sql;
    EXPECT_THAT(st.message(), HasSubstr("append-only")) << sql;
  }
  ASSERT_EQ(History(id).size(), 1u);
  EXPECT_TRUE(History(id)[0].granted);
}

TEST_F(PrivacyServiceTest, ConsentRefusesWhatItCannotRecordFaithfully) {
  std::string id = NewCustomer("ann@example.com", std::nullopt);
  auto set = [&](ConsentChange c) { return privacy_->SetConsent(cashier_, meta_, id, c); };
  EXPECT_EQ(set({"newsletter", true, "pos", kNotice}).status().reason(), "purpose_unknown");
  EXPECT_EQ(set({"marketing_email", true, "fax", kNotice}).status().reason(), "channel_invalid");
  EXPECT_EQ(set({"marketing_email", true, "pos", "notice-1999"}).status().reason(),
            "notice_unknown");
  EXPECT_EQ(privacy_
                ->SetConsent(cashier_, meta_, "cus_" + std::string(32, '0'),
                             {"marketing_email", true, "pos", kNotice})
                .status()
                .code(),
            StatusCode::kNotFound);
  // Marketing may export, not record consent.
  EXPECT_EQ(privacy_->SetConsent(marketing_, meta_, id, {"marketing_email", true, "web", kNotice})
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(History(id).empty());
  // Refusals are audited too.
  int refused = 0;
  for (const auto& e : Audit()) {
    if (e.action == "consent.write" && e.outcome != "success") ++refused;
  }
  EXPECT_EQ(refused, 5);
}

// --- consented export ---

TEST_F(PrivacyServiceTest, NothingSharedWithoutConsent) {
  std::string yes = NewCustomer("yes@example.com", "+15145550101", "Yves Oui");
  std::string no = NewCustomer("no@example.com", "+15145550102", "Nora Non");
  std::string withdrawn = NewCustomer("gone@example.com", "+15145550103");
  std::string sms = NewCustomer("sms@example.com", "+15145550104");
  Consent(yes, "marketing_email", true);
  Consent(no, "marketing_sms", false);
  Consent(withdrawn, "marketing_email", true);
  Consent(sms, "marketing_sms", true);

  MarketingExport before = Export("marketing_email");
  EXPECT_EQ(before.rows, 2);
  EXPECT_THAT(before.csv, HasSubstr("yes@example.com"));
  EXPECT_THAT(before.csv, HasSubstr("gone@example.com"));

  Consent(withdrawn, "marketing_email", false);
  MarketingExport after = Export("marketing_email");
  EXPECT_EQ(after.rows, 1);
  EXPECT_EQ(after.csv, "id,email\r\n" + yes + ",yes@example.com\r\n");
  // Never the phone for an email purpose, never a name for marketing, never
  // anyone without a current grant.
  for (const char* absent : {"+1514", "Yves", "Nora", "no@example.com", "sms@example.com"}) {
    EXPECT_THAT(after.csv, Not(HasSubstr(absent)));
  }
  // And for an SMS purpose, the phone only.
  MarketingExport texts = Export("marketing_sms");
  EXPECT_EQ(texts.csv, "id,phone\r\n" + sms + ",+15145550104\r\n");
  // A purpose with no export field, and an unknown one.
  EXPECT_EQ(privacy_->ExportMarketing(marketing_, meta_, "share_with_partners").status().reason(),
            "purpose_not_exportable");
  EXPECT_EQ(privacy_->ExportMarketing(marketing_, meta_, "anything").status().reason(),
            "purpose_unknown");

  // Audited with purpose and row count.
  std::vector<std::string> details;
  for (const auto& e : Audit()) {
    if (e.action == "marketing.export" && e.outcome == "success") details.push_back(e.detail);
  }
  EXPECT_THAT(details, ::testing::ElementsAre("purpose=marketing_email rows=2",
                                              "purpose=marketing_email rows=1",
                                              "purpose=marketing_sms rows=1"));
}

TEST_F(PrivacyServiceTest, OnlyMarketingExports) {
  std::string id = NewCustomer("yes@example.com", std::nullopt);
  Consent(id, "marketing_email", true);
  for (const auto& who : {cashier_, officer_, admin_, Who("support1", "support"),
                          Who("till-1", "pos", auth::Principal::Kind::kService)}) {
    auto out = privacy_->ExportMarketing(who, meta_, "marketing_email");
    EXPECT_EQ(out.status().code(), StatusCode::kPermissionDenied) << who.Label();
  }
}

// The name comes along only for a role that sees names at plaintext anyway.
TEST_F(PrivacyServiceTest, ExportCarriesNamesOnlyWhereTheRoleMaySeeThem) {
  const std::string policy = R"(
[roles.crm]
actions = ["marketing.export", "customer.reveal"]
fields = { email = "none", phone = "none", name = "plaintext" }
reveal_quota_per_hour = 1
lookups_per_minute = 0
[roles.cashier]
actions = ["consent.write"]
fields = {}
reveal_quota_per_hour = 0
lookups_per_minute = 0
)";
  Build(Options(), policy);
  std::string id = NewCustomer("yes@example.com", std::nullopt, "=HYPERLINK(\"x\")");
  Consent(id, "marketing_email", true);
  auto out = privacy_->ExportMarketing(Who("crm1", "crm"), meta_, "marketing_email");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // RFC 4180 quoting, and a formula defused by a leading apostrophe.
  EXPECT_EQ(out->csv, "id,email,name\r\n" + id + ",yes@example.com,\"'=HYPERLINK(\"\"x\"\")\"\r\n");
}

// --- retention ---

TEST_F(PrivacyServiceTest, DataDestroyedWhenNoLongerNeeded) {
  PrivacyOptions o = Options();
  o.days_with_consent["marketing_email"] = 1095;
  Build(o);
  std::string old1 = NewCustomer("old1@example.com", std::nullopt);
  std::string old2 = NewCustomer("old2@example.com", "+15145550111");
  std::string old_consenting = NewCustomer("fan@example.com", std::nullopt);
  std::string old_but_seen = NewCustomer("back@example.com", std::nullopt);
  Consent(old_consenting, "marketing_email", true);
  now_ += 400 * kDayMs;
  std::string recent = NewCustomer("new@example.com", std::nullopt);
  now_ += 300 * kDayMs;
  ASSERT_TRUE(privacy_->MarkSeen(cashier_, meta_, old_but_seen).ok());  // a sale
  now_ += 100 * kDayMs;  // old ones: 800 days unseen; recent: 400

  auto dry = privacy_->RunRetention(officer_, meta_, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->examined, 3);
  EXPECT_EQ(dry->erased, 2);
  EXPECT_EQ(dry->kept_by_consent, 1);
  EXPECT_EQ(dry->by_reason, (std::map<std::string, int64_t>{{"unseen_over_730_days", 2}}));
  std::optional<store::CustomerRow> doomed;
  ASSERT_TRUE(vault_->store()
                  .Read([&](store::Database& db) -> Status {
                    ASSIGN_OR_RETURN(doomed, store::FindCustomer(db, old2));
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(doomed.has_value());

  auto run = privacy_->RunRetention(officer_, meta_, /*dry_run=*/false);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->erased, dry->erased);
  EXPECT_EQ(run->by_reason, dry->by_reason);
  for (const auto& id : {old1, old2}) {
    EXPECT_EQ(customers_->Get(id).status().code(), StatusCode::kNotFound) << id;
  }
  for (const auto& id : {old_consenting, old_but_seen, recent}) {
    EXPECT_TRUE(customers_->Get(id).ok()) << id;
  }
  auto found = customers_->FindByPhone("+15145550111");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
  // Live, without closing the vault: no byte of the record in the file or WAL.
  std::string bytes = vault::testing::ReadFileBytes(vault_->db_path) +
                      vault::testing::ReadFileBytes(vault_->db_path + "-wal");
  EXPECT_FALSE(vault::testing::Contains(bytes, doomed->dek));
  EXPECT_FALSE(vault::testing::Contains(bytes, *doomed->email_ct));
  EXPECT_FALSE(vault::testing::Contains(bytes, *doomed->phone_idx));

  // Each erasure audited like a manual one, with the rule as its reason.
  std::set<std::string> erased;
  for (const auto& e : Audit()) {
    if (e.action != "customer.erase") continue;
    erased.insert(e.record_id);
    EXPECT_EQ(e.principal, "employee:privacy1");
    EXPECT_EQ(e.reason, "retention: unseen_over_730_days");
  }
  EXPECT_EQ(erased, (std::set<std::string>{old1, old2}));

  // The consent rule runs out too.
  now_ += 300 * kDayMs;
  auto later = privacy_->RunScheduledRetention();
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->by_reason.count("unseen_over_1095_days_with_consent_marketing_email"), 1u);
  EXPECT_EQ(customers_->Get(old_consenting).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Audit().back().principal, "system:retention");
}

TEST_F(PrivacyServiceTest, RetentionRunNeedsErasureRights) {
  for (const auto& who : {cashier_, marketing_, admin_}) {
    EXPECT_EQ(privacy_->RunRetention(who, meta_, true).status().code(),
              StatusCode::kPermissionDenied)
        << who.Label();
  }
}

TEST_F(PrivacyServiceTest, ScheduledRetentionRunsInsideTheService) {
  PrivacyOptions o = Options();
  o.schedule_minutes = 60;
  Build(o);
  std::string old = NewCustomer("old@example.com", std::nullopt);
  now_ += 731 * kDayMs;
  privacy_->StartSchedule();  // runs once at once, then hourly
  ASSERT_TRUE(privacy_->WaitForScheduledRuns(1, std::chrono::seconds(20)));
  privacy_->StopSchedule();
  EXPECT_EQ(customers_->Get(old).status().code(), StatusCode::kNotFound);
}

// --- erasure receipts ---

TEST_F(PrivacyServiceTest, ErasureReceiptVerifiesAgainstTheChain) {
  std::string id = NewCustomer("ann@example.com", std::nullopt);
  std::string other = NewCustomer("bob@example.com", std::nullopt);
  Consent(id, "marketing_email", true);
  auto receipt = access_->Erase(officer_, meta_, id);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  // The erasure took the consent rows with it; their audit entries stay.
  EXPECT_TRUE(History(id).empty());
  int consent_entries = 0;
  for (const auto& e : Audit()) consent_entries += e.action == "consent.write";
  EXPECT_EQ(consent_entries, 1);

  ReceiptClaim claim{receipt->id, receipt->erased_at_ms, receipt->actor, receipt->audit.seq,
                     receipt->audit.mac_hex};
  auto check = [&](const ReceiptClaim& c) {
    auto r = privacy_->VerifyReceipt(officer_, meta_, c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ReceiptCheck{};
  };
  EXPECT_TRUE(check(claim).valid) << check(claim).problem;

  ReceiptClaim forged = claim;
  forged.id = other;
  EXPECT_FALSE(check(forged).valid);
  forged = claim;
  forged.audit_mac_hex[0] = forged.audit_mac_hex[0] == '0' ? '1' : '0';
  EXPECT_FALSE(check(forged).valid);
  forged = claim;
  forged.actor = "employee:someone-else";
  EXPECT_FALSE(check(forged).valid);
  forged = claim;
  forged.audit_seq = 1;  // a real entry, but not this erasure
  EXPECT_FALSE(check(forged).valid);

  // A rewritten entry before the erasure breaks the chain, and the receipt.
  Status st = vault_->store().Write([](store::Database& db) {
    return db.Execute("UPDATE audit_log SET detail = 'rewritten' WHERE seq = 1");
  });
  ASSERT_TRUE(st.ok());
  ReceiptCheck broken = check(claim);
  EXPECT_FALSE(broken.valid);
  EXPECT_THAT(broken.problem, HasSubstr("chain is broken"));
}

// --- access requests ---

TEST_F(PrivacyServiceTest, AccessRequestListsEveryAccess) {
  std::string id = NewCustomer("ann@example.com", "+15145550121", "Ann Example");
  std::string other = NewCustomer("bob@example.com", "+15145550122", "Bob Other");
  Consent(id, "marketing_email", true);
  Consent(id, "marketing_email", false);
  Consent(other, "marketing_email", true);
  ASSERT_TRUE(access_->Get(cashier_, meta_, id).ok());
  ASSERT_TRUE(access_->Get(cashier_, meta_, other).ok());
  ASSERT_TRUE(access_->Reveal(officer_, meta_, id, {ContactField::kPhone}, "call back").ok());
  ASSERT_TRUE(access_->Search(cashier_, meta_, {"ann@example.com", std::nullopt}).ok());

  EXPECT_EQ(privacy_->ExportCustomer(officer_, meta_, id, "  ").status().reason(),
            "reason_required");
  EXPECT_EQ(
      privacy_->ExportCustomer(Who("support1", "support"), meta_, id, "asked").status().code(),
      StatusCode::kPermissionDenied);
  auto out = privacy_->ExportCustomer(officer_, meta_, id, "customer's access request #12");
  ASSERT_TRUE(out.ok()) << out.status().ToString();

  EXPECT_EQ(out->customer.email, "ann@example.com");
  EXPECT_EQ(out->customer.phone, "+15145550121");
  EXPECT_EQ(out->customer.name, "Ann Example");
  ASSERT_EQ(out->consent_history.size(), 2u);
  EXPECT_TRUE(out->consent_history[0].granted);
  EXPECT_FALSE(out->consent_history[1].granted);
  EXPECT_EQ(out->officer.email, "privacy@shop.example");
  ASSERT_EQ(out->notices.size(), 1u);
  EXPECT_EQ(out->notices[0].version, kNotice);

  std::vector<int64_t> expected, listed;
  for (const auto& e : Audit()) {
    if (e.record_id == id) expected.push_back(e.seq);
  }
  for (const auto& e : out->accesses) {
    listed.push_back(e.seq);
    EXPECT_EQ(e.record_id, id);
  }
  EXPECT_EQ(listed, expected);
  // consent x2, read, reveal, search (one match), the refused exports, this one.
  std::multiset<std::string> actions;
  for (const auto& e : out->accesses) actions.insert(e.action);
  EXPECT_EQ(actions.count("customer.read"), 1u);
  EXPECT_EQ(actions.count("customer.reveal"), 1u);
  EXPECT_EQ(actions.count("customer.search"), 1u);
  EXPECT_EQ(actions.count("consent.write"), 2u);
  ASSERT_FALSE(out->accesses.empty());
  EXPECT_EQ(out->accesses.back().action, "customer.export");
  EXPECT_EQ(out->accesses.back().reason, "customer's access request #12");
}

// --- settings ---

TEST(PrivacyConfigTest, SettingsAreReadAndCheckedAtLoad) {
  auto config = ParseConfig(R"(
[privacy]
officer_name = "Pat Officer"
officer_email = "privacy@shop.example"
consent_purposes = ["marketing_email", "marketing_post"]
notices = { "notice-2027-01" = "0000000000000000000000000000000000000000000000000000000000000001" }
export_fields = { marketing_email = "email" }
[retention]
erase_after_days_unseen = 365
days_with_consent = { marketing_post = 500 }
schedule_minutes = 0
)",
                            "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  PrivacyOptions o = PrivacyOptions::FromConfig(*config);
  EXPECT_EQ(o.officer.email, "privacy@shop.example");
  EXPECT_EQ(o.purposes, (std::vector<std::string>{"marketing_email", "marketing_post"}));
  ASSERT_EQ(o.notices.size(), 1u);
  EXPECT_EQ(o.notices[0].version, "notice-2027-01");
  EXPECT_EQ(o.export_fields.size(), 1u);
  EXPECT_EQ(o.erase_after_days_unseen, 365);
  EXPECT_EQ(o.days_with_consent.at("marketing_post"), 500);
  EXPECT_EQ(o.schedule_minutes, 0);

  // The defaults match the staff form's notice and the issue's purposes.
  PrivacyOptions d = PrivacyOptions::FromConfig(Config{});
  EXPECT_EQ(d.purposes.size(), 3u);
  EXPECT_EQ(d.export_fields.at("marketing_sms"), ContactField::kPhone);
  EXPECT_EQ(d.erase_after_days_unseen, 730);
  EXPECT_EQ(d.schedule_minutes, 60);

  for (const char* bad : {
           "[privacy]\nexport_fields = { newsletter = \"email\" }\n",
           "[privacy]\nexport_fields = { marketing_email = \"name\" }\n",
           "[privacy]\nnotices = { \"v1\" = \"not-a-hash\" }\n",
           "[privacy]\nconsent_purposes = [\"Marketing Email\"]\n",
           "[privacy]\nconsent_purposes = [\"a\", \"a\"]\n",
           "[privacy]\ncontact = \"x\"\n",
           "[retention]\ndays_with_consent = { marketing_email = 10 }\n",
           "[retention]\nerase_after_days_unseen = 0\n"
           "days_with_consent = { marketing_email = 1000 }\n",
           "[retention]\nschedule_minutes = -1\n",
       }) {
    auto parsed = ParseConfig(bad, "bad.toml");
    EXPECT_EQ(parsed.status().reason(), "config_invalid") << bad;
  }
}

}  // namespace
}  // namespace vault::service
