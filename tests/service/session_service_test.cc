// SessionService: every sign-in attempt and every sign-out leaves one
// auth.login / auth.logout entry, never the password; a failed sign-in is
// refused as AuthService refuses it.
#include "service/session_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/audited_vault.h"

namespace vault::service {
namespace {

using vault::testing::AuditedVault;

constexpr char kPassword[] = "correct horse battery staple";

class SessionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth_->CreateEmployee({"alice", "Alice", {"cashier"}, kPassword}).ok());
  }
  std::vector<store::AuditRow> Entries() { return v_.Entries(); }

  const RequestMeta meta_{"req-1", "10.0.0.5"};
  AuditedVault v_;
  std::unique_ptr<auth::AuthService> auth_ = std::make_unique<auth::AuthService>(
      v_.vault->store(), *v_.policy, vault::testing::FastAuthOptions());
  std::unique_ptr<SessionService> sessions_ =
      std::make_unique<SessionService>(*auth_, *v_.policy, *v_.audit);
};

TEST_F(SessionServiceTest, SuccessfulSignInIsAuditedWithTheRoles) {
  auto login = sessions_->Login("alice", kPassword, meta_);
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_FALSE(login->session.empty());
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, "auth.login");
  EXPECT_EQ(rows[0].principal, "employee:alice");
  EXPECT_EQ(rows[0].roles, "cashier");
  EXPECT_EQ(rows[0].outcome, "success");
  EXPECT_EQ(rows[0].request_id, "req-1");
  EXPECT_EQ(rows[0].client, "10.0.0.5");
}

TEST_F(SessionServiceTest, FailedSignInIsAuditedAndRefused) {
  auto login = sessions_->Login("alice", "wrong password", meta_);
  EXPECT_EQ(login.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(login.status().reason(), "invalid_credentials");
  const std::string long_name(100, 'z');
  EXPECT_FALSE(sessions_->Login(long_name, kPassword, meta_).ok());
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].action, "auth.login");
  EXPECT_EQ(rows[0].outcome, "unauthenticated");
  EXPECT_EQ(rows[0].detail, "invalid_credentials");
  EXPECT_EQ(rows[0].roles, "");
  // The principal is the name as typed, cut at 64 bytes.
  EXPECT_EQ(rows[1].principal, "employee:" + std::string(64, 'z'));
  for (const auto& row : rows) {
    EXPECT_EQ(row.detail.find("wrong password"), std::string::npos);
    EXPECT_EQ(row.reason.find("wrong password"), std::string::npos);
  }
}

TEST_F(SessionServiceTest, SignOutEndsTheSessionAndIsAudited) {
  auto login = sessions_->Login("alice", kPassword, meta_);
  ASSERT_TRUE(login.ok());
  auto who = auth_->AuthenticateSession(login->session);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  ASSERT_TRUE(sessions_->Logout(*who, meta_, login->session).ok());
  EXPECT_EQ(auth_->AuthenticateSession(login->session).status().code(),
            StatusCode::kUnauthenticated);
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].action, "auth.logout");
  EXPECT_EQ(rows[1].principal, "employee:alice");
  EXPECT_EQ(rows[1].outcome, "success");
}

TEST_F(SessionServiceTest, SignOutWithATokenEndsNoSessionButIsAudited) {
  auto login = sessions_->Login("alice", kPassword, meta_);
  ASSERT_TRUE(login.ok());
  auto issued = auth_->IssueToken("employee", "alice", "test", std::nullopt);
  ASSERT_TRUE(issued.ok());
  auto by_token = auth_->AuthenticateBearer("Bearer " + issued->token);
  ASSERT_TRUE(by_token.ok()) << by_token.status().ToString();
  // The session's cookie sent along with a token is not ended by it.
  ASSERT_TRUE(sessions_->Logout(*by_token, meta_, login->session).ok());
  EXPECT_TRUE(auth_->AuthenticateSession(login->session).ok());
  EXPECT_EQ(Entries().back().action, "auth.logout");
}

TEST_F(SessionServiceTest, DescribeListsWhatThePolicyGrants) {
  auto who = auth_->AuthenticateSession(sessions_->Login("alice", kPassword, meta_)->session);
  ASSERT_TRUE(who.ok());
  PrincipalView view = sessions_->Describe(*who);
  ASSERT_EQ(view.fields.size(), policy::kAllFields.size());
  EXPECT_EQ(view.fields[0].second, policy::Level::kMasked);
  EXPECT_NE(std::find(view.actions.begin(), view.actions.end(), policy::Action::kCustomerSearch),
            view.actions.end());
  EXPECT_EQ(std::find(view.actions.begin(), view.actions.end(), policy::Action::kCustomerReveal),
            view.actions.end());
  EXPECT_EQ(view.reveal_quota_per_hour, 0);
}

}  // namespace
}  // namespace vault::service
