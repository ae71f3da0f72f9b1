// AccessRequest without HTTP, on a real vault in a temp dir with the shipped policy
// and a clock the tests move (PrivacyFixture).
#include "service/access_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "support/privacy_fixture.h"

namespace vault::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vault::testing::kDayMs;
using vault::testing::kNotice;
using vault::testing::TestPrivacyOptions;
using vault::testing::Who;

class AccessRequestTest : public vault::testing::PrivacyFixture {};

TEST_F(AccessRequestTest, ErasureReceiptVerifiesAgainstTheChain) {
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
    auto r = access_requests_->VerifyReceipt(officer_, meta_, c);
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

TEST_F(AccessRequestTest, AccessRequestListsEveryAccess) {
  std::string id = NewCustomer("ann@example.com", "+15145550121", "Ann Example");
  std::string other = NewCustomer("bob@example.com", "+15145550122", "Bob Other");
  Consent(id, "marketing_email", true);
  Consent(id, "marketing_email", false);
  Consent(other, "marketing_email", true);
  ASSERT_TRUE(access_->Get(cashier_, meta_, id).ok());
  ASSERT_TRUE(access_->Get(cashier_, meta_, other).ok());
  ASSERT_TRUE(access_->Reveal(officer_, meta_, id, {ContactField::kPhone}, "call back").ok());
  ASSERT_TRUE(access_->Search(cashier_, meta_, {"ann@example.com", std::nullopt}).ok());

  EXPECT_EQ(access_requests_->Export(officer_, meta_, id, "  ").status().reason(),
            "reason_required");
  EXPECT_EQ(
      access_requests_->Export(Who("support1", "support"), meta_, id, "asked").status().code(),
      StatusCode::kPermissionDenied);
  auto out = access_requests_->Export(officer_, meta_, id, "customer's access request #12");
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

}  // namespace
}  // namespace vault::service
