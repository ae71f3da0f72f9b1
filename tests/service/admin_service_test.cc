// AdminService: token expiry is the service's rule on the service's clock.
#include "service/admin_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "support/audited_vault.h"

namespace vault::service {
namespace {

using vault::testing::AuditedVault;

constexpr int64_t kNow = 1'800'000'000'000;

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(auth_->CreateEmployee({"bob", "Bob", {"cashier"}, std::nullopt}).ok());
  }

  const RequestMeta meta_{"req-2", "127.0.0.1"};
  const auth::Principal root_ = vault::testing::Employee("root", "admin");
  AuditedVault v_;
  std::unique_ptr<auth::AuthService> auth_ = std::make_unique<auth::AuthService>(
      v_.vault->store(), *v_.policy, vault::testing::FastAuthOptions());
  std::unique_ptr<AdminService> admin_ = std::make_unique<AdminService>(
      *auth_, *v_.policy, *v_.audit, v_.vault->store(), [] { return kNow; });
};

TEST_F(AdminServiceTest, TokenExpiresOnTheServiceClock) {
  auto issued = admin_->IssueToken(root_, meta_, "employee", "bob", "till", 3600);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  ASSERT_TRUE(issued->row.expires_at.has_value());
  EXPECT_EQ(*issued->row.expires_at, kNow + 3600 * 1000);
  auto forever = admin_->IssueToken(root_, meta_, "employee", "bob", "till", std::nullopt);
  ASSERT_TRUE(forever.ok());
  EXPECT_FALSE(forever->row.expires_at.has_value());
}

TEST_F(AdminServiceTest, ExpiryOutsideOneSecondToTenYearsIsRefused) {
  const int64_t ten_years_s = 10LL * 365 * 24 * 3600;
  for (int64_t s : {int64_t{0}, int64_t{-5}, ten_years_s + 1}) {
    auto issued = admin_->IssueToken(root_, meta_, "employee", "bob", "till", s);
    EXPECT_EQ(issued.status().reason(), "expiry_invalid") << s;
  }
  EXPECT_TRUE(v_.Entries().empty());  // the request's shape, checked before anything is done
  EXPECT_TRUE(admin_->IssueToken(root_, meta_, "employee", "bob", "till", ten_years_s).ok());
  EXPECT_TRUE(admin_->IssueToken(root_, meta_, "employee", "bob", "till", 1).ok());
}

}  // namespace
}  // namespace vault::service
