// PrivacyFixture: the four privacy services (ConsentLedger, MarketingExport,
// RetentionJob, AccessRequest) without HTTP, on a real vault in a temp dir
// with the shipped policy (or one a test gives) and one clock the tests move.
// Shared by their unit tests in tests/service/. Never used by production code.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "policy/policy.h"
#include "service/access_request.h"
#include "service/access_service.h"
#include "service/consent_ledger.h"
#include "service/customer_service.h"
#include "service/marketing_export.h"
#include "service/privacy_options.h"
#include "service/retention_job.h"
#include "store/audit_tables.h"
#include "store/privacy_tables.h"
#include "support/test_vault.h"

namespace vault::testing {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;
inline constexpr int64_t kStart = 1'800'000'000'000;  // a fixed "now", Unix ms
inline constexpr char kNotice[] = "notice-2026-11";

inline auth::Principal Who(const std::string& name, const std::string& role,
                           auth::Principal::Kind kind = auth::Principal::Kind::kEmployee) {
  auth::Principal p;
  p.kind = kind;
  p.name = name;
  p.roles = {role};
  return p;
}

inline service::PrivacyOptions TestPrivacyOptions() {
  service::PrivacyOptions o = service::PrivacyOptions::FromConfig(Config{});
  o.officer = {"Pat Officer", "privacy@shop.example", "+15145550100"};
  o.erase_after_days_unseen = 730;
  o.schedule_minutes = 0;
  return o;
}

class PrivacyFixture : public ::testing::Test {
 protected:
  void SetUp() override { Build(TestPrivacyOptions()); }

  // (Re)builds every service over the same vault with these options.
  void Build(service::PrivacyOptions options,
             std::optional<std::string> policy_text = std::nullopt) {
    access_requests_.reset();
    retention_.reset();
    marketing_.reset();
    consents_.reset();
    access_.reset();
    audit_.reset();
    customers_.reset();
    if (vault_ == nullptr) vault_ = MakeTestVault();
    auto policy = policy_text ? policy::Policy::Parse(*policy_text, "test policy")
                              : policy::Policy::LoadFile(SourceDir() + "/config/policy.toml");
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    policy_.emplace(std::move(policy).value());
    Clock clock = [this] { return now_.load(); };
    customers_ = std::make_unique<service::CustomerService>(
        vault_->store(), vault_->keys(), service::CustomerServiceOptions{"CA"}, clock);
    audit_ = std::make_unique<audit::AuditLog>(vault_->store(), vault_->keys(), clock);
    access_ = std::make_unique<service::AccessService>(*customers_, *policy_, *audit_, clock);
    consents_ =
        std::make_unique<service::ConsentLedger>(vault_->store(), *policy_, *audit_, options);
    marketing_ = std::make_unique<service::MarketingExport>(*customers_, vault_->store(), *policy_,
                                                            *audit_, options);
    retention_ = std::make_unique<service::RetentionJob>(*customers_, vault_->store(), *policy_,
                                                         *audit_, options, clock);
    access_requests_ = std::make_unique<service::AccessRequest>(*customers_, vault_->store(),
                                                                *policy_, *audit_, options);
  }

  std::string NewCustomer(const std::string& email, const std::optional<std::string>& phone,
                          const std::optional<std::string>& name = std::nullopt) {
    auto c = customers_->Create({email, phone, name});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->id : "";
  }

  void Consent(const std::string& id, const std::string& purpose, bool granted) {
    auto st = consents_->Set(cashier_, meta_, id, {purpose, granted, "pos", kNotice});
    ASSERT_TRUE(st.ok()) << st.status().ToString();
  }

  // Every audit row, oldest first.
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

  // How many audit rows record `action` by `who` with `outcome`.
  int CountAudited(const std::string& action, const auth::Principal& who,
                   const std::string& outcome) {
    int n = 0;
    for (const auto& e : Audit()) {
      n += e.action == action && e.principal == who.Label() && e.outcome == outcome;
    }
    return n;
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
  std::unique_ptr<service::CustomerService> customers_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<service::AccessService> access_;
  std::unique_ptr<service::ConsentLedger> consents_;
  std::unique_ptr<service::MarketingExport> marketing_;
  std::unique_ptr<service::RetentionJob> retention_;
  std::unique_ptr<service::AccessRequest> access_requests_;
  service::RequestMeta meta_{"req_test", "127.0.0.1"};
  auth::Principal cashier_ = Who("cashier1", "cashier");
  auth::Principal marketing_role_ = Who("marketing1", "marketing");
  auth::Principal officer_ = Who("privacy1", "privacy_officer");
  auth::Principal admin_ = Who("admin1", "admin");
};

}  // namespace vault::testing
