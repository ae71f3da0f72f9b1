// AuthService on a real vault: passwords sign in and out, tokens
// authenticate until revoked or expired, and failures say only
// "invalid_credentials" (never which half was wrong).
#include "auth/auth_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "support/audited_vault.h"

namespace vault::auth {
namespace {

constexpr char kPassword[] = "correct horse battery staple";
constexpr int64_t kStart = 1'800'000'000'000;

AuthOptions Options() {
  AuthOptions options = vault::testing::FastAuthOptions();
  options.login_attempts = 3;
  return options;
}

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth_->CreateEmployee({"alice", "Alice", {"cashier"}, kPassword}).ok());
  }

  std::atomic<int64_t> now_{kStart};
  vault::testing::AuditedVault v_;
  std::unique_ptr<AuthService> auth_ = std::make_unique<AuthService>(
      v_.vault->store(), *v_.policy, Options(), [this] { return now_.load(); });
};

TEST_F(AuthServiceTest, PasswordSignInGivesASessionThatAuthenticates) {
  auto login = auth_->Login("alice", kPassword, "10.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->principal.Label(), "employee:alice");
  EXPECT_EQ(login->expires_at_ms, kStart + auth_->options().session_absolute_ms);
  auto who = auth_->AuthenticateSession(login->session);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->name, "alice");
  EXPECT_EQ(who->via, "session");
  EXPECT_EQ(who->csrf_token, login->csrf_token);
}

TEST_F(AuthServiceTest, WrongPasswordAndUnknownUserLookAlike) {
  auto wrong = auth_->Login("alice", "not it", "10.0.0.1");
  auto unknown = auth_->Login("nobody", kPassword, "10.0.0.1");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().reason(), "invalid_credentials");
  EXPECT_EQ(unknown.status().reason(), wrong.status().reason());
  EXPECT_EQ(unknown.status().message(), wrong.status().message());
}

TEST_F(AuthServiceTest, LogoutEndsTheSession) {
  auto login = auth_->Login("alice", kPassword, "10.0.0.1");
  ASSERT_TRUE(login.ok());
  ASSERT_TRUE(auth_->Logout(login->session).ok());
  EXPECT_EQ(auth_->AuthenticateSession(login->session).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, SessionEndsAfterItsIdleTimeout) {
  auto login = auth_->Login("alice", kPassword, "10.0.0.1");
  ASSERT_TRUE(login.ok());
  now_ += auth_->options().session_idle_ms + 1;
  EXPECT_FALSE(auth_->AuthenticateSession(login->session).ok());
}

TEST_F(AuthServiceTest, TokenAuthenticatesUntilRevokedOrExpired) {
  auto issued = auth_->IssueToken("employee", "alice", "till", kStart + 60'000);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  auto who = auth_->AuthenticateBearer("Bearer " + issued->token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->Label(), "employee:alice");
  now_ += 60'001;
  EXPECT_EQ(auth_->AuthenticateBearer("Bearer " + issued->token).status().code(),
            StatusCode::kUnauthenticated);

  auto other = auth_->IssueToken("employee", "alice", "till", std::nullopt);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(auth_->AuthenticateBearer("Bearer " + other->token).ok());
  ASSERT_TRUE(auth_->RevokeToken(other->row.id).ok());
  EXPECT_EQ(auth_->AuthenticateBearer("Bearer " + other->token).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, RepeatedFailuresAreRateLimited) {
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(auth_->Login("alice", "not it", "10.0.0.1").ok());
  auto limited = auth_->Login("alice", kPassword, "10.0.0.1");
  EXPECT_EQ(limited.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(limited.status().reason(), "login_rate_limited");
}

}  // namespace
}  // namespace vault::auth
