#include "policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace vault::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using Roles = std::vector<std::string>;

// The shipped policy: $VAULT_SOURCE_DIR/config/policy.toml, else relative to
// the working directory (source root or a build directory under it).
std::string ShippedPolicyPath() {
  if (const char* dir = std::getenv("VAULT_SOURCE_DIR"); dir != nullptr) {
    return std::string(dir) + "/config/policy.toml";
  }
  for (const char* candidate :
       {"config/policy.toml", "../config/policy.toml", "../../config/policy.toml"}) {
    if (std::filesystem::exists(candidate)) {
      return candidate;
    }
  }
  return "config/policy.toml";
}

// Loads the shipped policy; a test body runs only if it loaded.
class ShippedPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<Policy> loaded = Policy::LoadFile(ShippedPolicyPath());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    policy_.emplace(std::move(loaded).value());
  }

  std::optional<Policy> policy_;
};

// Parses `text` as "test.toml" and expects an InvalidArgument naming that
// file, `line`, and containing `what`.
void ExpectErrorAt(std::string_view text, int line, std::string_view what) {
  StatusOr<Policy> policy = Policy::Parse(text, "test.toml");
  ASSERT_FALSE(policy.ok()) << "accepted:\n" << text;
  EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(policy.status().reason(), "policy_invalid");
  EXPECT_THAT(policy.status().message(), StartsWith("test.toml:" + std::to_string(line) + ": "));
  EXPECT_THAT(policy.status().message(), HasSubstr(std::string(what)));
}

// A valid role to build on; line numbers in the tests count from here.
constexpr char kCashier[] =
    "[roles.cashier]\n"                                     // 1
    "description = \"Till\"\n"                              // 2
    "actions = [\"customer.search\", \"customer.read\"]\n"  // 3
    "fields = { email = \"masked\", phone = \"match\" }\n"  // 4
    "lookups_per_minute = 60\n";                            // 5

TEST(PolicyNamesTest, EveryNameRoundTrips) {
  for (Action action : kAllActions) {
    EXPECT_EQ(ParseAction(ActionName(action)), action) << ActionName(action);
  }
  for (Field field : kAllFields) {
    EXPECT_EQ(ParseField(FieldName(field)), field) << FieldName(field);
  }
  for (Level level : kAllLevels) {
    EXPECT_EQ(ParseLevel(LevelName(level)), level) << LevelName(level);
  }
  EXPECT_EQ(ActionName(Action::kAdminServiceAccounts), "admin.service_accounts");
  EXPECT_EQ(ActionName(Action::kConsentWrite), "consent.write");
  EXPECT_EQ(FieldName(Field::kPhone), "phone");
  EXPECT_EQ(LevelName(Level::kMasked), "masked");
}

TEST(PolicyNamesTest, UnknownNamesDoNotParse) {
  EXPECT_FALSE(ParseAction("customer.delete").has_value());
  EXPECT_FALSE(ParseAction("Customer.Read").has_value());
  EXPECT_FALSE(ParseAction("").has_value());
  EXPECT_FALSE(ParseField("address").has_value());
  EXPECT_FALSE(ParseLevel("full").has_value());
}

TEST(PolicyNamesTest, LevelsAreOrdered) {
  EXPECT_LT(Level::kNone, Level::kMatch);
  EXPECT_LT(Level::kMatch, Level::kMasked);
  EXPECT_LT(Level::kMasked, Level::kPlaintext);
}

TEST_F(ShippedPolicyTest, LoadsWithEveryDocumentedRole) {
  const Policy& policy = *policy_;
  EXPECT_EQ(policy.RoleNames(),
            (Roles{"admin", "cashier", "marketing", "pos", "privacy_officer", "support"}));
}

TEST_F(ShippedPolicyTest, CashierSeesMaskedAndCannotReveal) {
  const Policy& policy = *policy_;
  const Roles cashier = {"cashier"};
  EXPECT_EQ(policy.FieldLevel(cashier, Field::kEmail), Level::kMasked);
  EXPECT_EQ(policy.FieldLevel(cashier, Field::kPhone), Level::kMasked);
  EXPECT_EQ(policy.FieldLevel(cashier, Field::kName), Level::kMasked);
  EXPECT_FALSE(policy.Allows(cashier, Action::kCustomerReveal));
  EXPECT_EQ(policy.RevealQuotaPerHour(cashier), 0);
  EXPECT_TRUE(policy.Allows(cashier, Action::kCustomerCreate));
  EXPECT_TRUE(policy.Allows(cashier, Action::kCustomerSearch));
  EXPECT_TRUE(policy.Allows(cashier, Action::kCustomerVerify));
  EXPECT_TRUE(policy.Allows(cashier, Action::kCustomerRead));
  EXPECT_FALSE(policy.Allows(cashier, Action::kCustomerUpdate));
  EXPECT_FALSE(policy.Allows(cashier, Action::kCustomerErase));
  EXPECT_FALSE(policy.Allows(cashier, Action::kCustomerExport));
  EXPECT_EQ(policy.LookupsPerMinute(cashier), 60);
}

TEST_F(ShippedPolicyTest, AdminSeesNoPiiAndDoesNoCustomerWork) {
  const Policy& policy = *policy_;
  const Roles admin = {"admin"};
  for (Field field : kAllFields) {
    EXPECT_EQ(policy.FieldLevel(admin, field), Level::kNone) << FieldName(field);
  }
  for (Action action : kAllActions) {
    const bool customer_data = ActionName(action).starts_with("customer.") ||
                               action == Action::kMarketingExport ||
                               action == Action::kConsentWrite;
    EXPECT_EQ(policy.Allows(admin, action), !customer_data) << ActionName(action);
  }
  EXPECT_EQ(policy.RevealQuotaPerHour(admin), 0);
}

TEST_F(ShippedPolicyTest, OnlyAdminHoldsAdminActions) {
  const Policy& policy = *policy_;
  for (const std::string& role : policy.RoleNames()) {
    for (Action action : {Action::kAdminEmployees, Action::kAdminServiceAccounts,
                          Action::kAdminTokens, Action::kAdminKeys}) {
      EXPECT_EQ(policy.Allows(Roles{role}, action), role == "admin")
          << role << " " << ActionName(action);
    }
  }
}

TEST_F(ShippedPolicyTest, OtherRolesMatchTheirDescription) {
  const Policy& policy = *policy_;
  const Roles pos = {"pos"};
  EXPECT_EQ(policy.LookupsPerMinute(pos), 600);
  EXPECT_FALSE(policy.Allows(pos, Action::kCustomerReveal));
  EXPECT_EQ(policy.FieldLevel(pos, Field::kEmail), Level::kMasked);

  const Roles support = {"support"};
  EXPECT_TRUE(policy.Allows(support, Action::kCustomerReveal));
  EXPECT_TRUE(policy.Allows(support, Action::kCustomerUpdate));
  EXPECT_FALSE(policy.Allows(support, Action::kCustomerErase));
  EXPECT_EQ(policy.FieldLevel(support, Field::kPhone), Level::kPlaintext);
  EXPECT_EQ(policy.FieldLevel(support, Field::kEmail), Level::kMasked);
  EXPECT_EQ(policy.FieldLevel(support, Field::kName), Level::kMasked);
  EXPECT_EQ(policy.RevealQuotaPerHour(support), 20);

  const Roles marketing = {"marketing"};
  EXPECT_FALSE(policy.Allows(marketing, Action::kCustomerSearch));
  EXPECT_FALSE(policy.Allows(marketing, Action::kCustomerRead));
  EXPECT_TRUE(policy.Allows(marketing, Action::kMarketingExport));
  for (Field field : kAllFields) {
    EXPECT_EQ(policy.FieldLevel(marketing, field), Level::kNone);
  }

  const Roles officer = {"privacy_officer"};
  for (Action action : {Action::kCustomerErase, Action::kCustomerExport, Action::kConsentWrite,
                        Action::kAuditRead, Action::kCustomerReveal}) {
    EXPECT_TRUE(policy.Allows(officer, action)) << ActionName(action);
  }
  EXPECT_FALSE(policy.Allows(officer, Action::kAdminKeys));
  EXPECT_EQ(policy.FieldLevel(officer, Field::kEmail), Level::kPlaintext);
  EXPECT_EQ(policy.RevealQuotaPerHour(officer), 100);
  EXPECT_EQ(policy.LookupsPerMinute(officer), 120);
}

TEST_F(ShippedPolicyTest, UnknownRoleGrantsNothing) {
  const Policy& policy = *policy_;
  EXPECT_FALSE(policy.HasRole("root"));
  EXPECT_EQ(policy.Role("root"), nullptr);
  for (const Roles& roles : {Roles{"root"}, Roles{}, Roles{"Admin"}, Roles{""}}) {
    for (Action action : kAllActions) {
      EXPECT_FALSE(policy.Allows(roles, action)) << ActionName(action);
    }
    for (Field field : kAllFields) {
      EXPECT_EQ(policy.FieldLevel(roles, field), Level::kNone);
    }
    EXPECT_EQ(policy.RevealQuotaPerHour(roles), 0);
    EXPECT_EQ(policy.LookupsPerMinute(roles), 0);
  }
}

TEST_F(ShippedPolicyTest, UnknownRoleNextToAKnownOneIsIgnored) {
  const Policy& policy = *policy_;
  const Roles roles = {"ghost", "cashier"};
  EXPECT_TRUE(policy.Allows(roles, Action::kCustomerSearch));
  EXPECT_FALSE(policy.Allows(roles, Action::kCustomerReveal));
  EXPECT_EQ(policy.FieldLevel(roles, Field::kEmail), Level::kMasked);
}

TEST(PolicyTest, MultipleRolesTakeTheMaximum) {
  StatusOr<Policy> policy = Policy::Parse(
      "[roles.a]\n"
      "actions = [\"customer.search\", \"customer.reveal\"]\n"
      "fields = { email = \"match\", phone = \"plaintext\" }\n"
      "reveal_quota_per_hour = 5\n"
      "lookups_per_minute = 100\n"
      "[roles.b]\n"
      "actions = [\"customer.verify\"]\n"
      "fields = { email = \"masked\", phone = \"none\", name = \"match\" }\n"
      "lookups_per_minute = 10\n"
      "[roles.c]\n"
      "actions = [\"customer.reveal\"]\n"
      "fields = { name = \"plaintext\" }\n"
      "reveal_quota_per_hour = 50\n",
      "test.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  const Roles ab = {"a", "b"};
  EXPECT_EQ(policy->FieldLevel(ab, Field::kEmail), Level::kMasked);
  EXPECT_EQ(policy->FieldLevel(ab, Field::kPhone), Level::kPlaintext);
  EXPECT_EQ(policy->FieldLevel(ab, Field::kName), Level::kMatch);
  EXPECT_TRUE(policy->Allows(ab, Action::kCustomerSearch));
  EXPECT_TRUE(policy->Allows(ab, Action::kCustomerVerify));
  EXPECT_FALSE(policy->Allows(ab, Action::kCustomerRead));
  EXPECT_EQ(policy->RevealQuotaPerHour(ab), 5);
  EXPECT_EQ(policy->LookupsPerMinute(ab), 100);
  const Roles bc = {"b", "c"};
  EXPECT_EQ(policy->FieldLevel(bc, Field::kName), Level::kPlaintext);
  EXPECT_EQ(policy->RevealQuotaPerHour(bc), 50);
  EXPECT_EQ(policy->LookupsPerMinute(bc), 10);
  // Order does not matter.
  EXPECT_EQ(policy->FieldLevel(Roles{"b", "a"}, Field::kPhone), Level::kPlaintext);
}

TEST(PolicyTest, AbsentFieldsAreNone) {
  StatusOr<Policy> policy = Policy::Parse(kCashier, "test.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  const RolePolicy* role = policy->Role("cashier");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->name, "cashier");
  EXPECT_EQ(role->description, "Till");
  EXPECT_EQ(role->fields.size(), kAllFields.size());
  EXPECT_EQ(role->fields.at(Field::kEmail), Level::kMasked);
  EXPECT_EQ(role->fields.at(Field::kPhone), Level::kMatch);
  EXPECT_EQ(role->fields.at(Field::kName), Level::kNone);
  EXPECT_EQ(role->actions, (std::set<Action>{Action::kCustomerSearch, Action::kCustomerRead}));
  EXPECT_EQ(role->reveal_quota_per_hour, 0);
}

TEST(PolicyErrorTest, UnknownTopLevelKey) {
  ExpectErrorAt(std::string("version = 2\n") + kCashier, 1, "unknown top-level key \"version\"");
  ExpectErrorAt(std::string(kCashier) + "[rolez.x]\n", 6, "\"rolez\"");
}

TEST(PolicyErrorTest, UnknownRoleKey) {
  ExpectErrorAt(std::string(kCashier) + "reveal_quota = 3\n", 6,
                "unknown key \"reveal_quota\" in role \"cashier\"");
}

TEST(PolicyErrorTest, UnknownAction) {
  ExpectErrorAt(std::string(kCashier) + "[roles.clerk]\n" +
                    "actions = [\n"
                    "  \"customer.read\",\n"
                    "  \"customer.delete\",\n"
                    "]\n",
                9, "unknown action \"customer.delete\" in role \"clerk\"");
}

TEST(PolicyErrorTest, UnknownField) {
  ExpectErrorAt(
      "[roles.cashier]\n"
      "actions = [\"customer.read\"]\n"
      "\n"
      "[roles.cashier.fields]\n"
      "email = \"masked\"\n"
      "address = \"masked\"\n",
      6, "unknown field \"address\" in role \"cashier\"");
}

TEST(PolicyErrorTest, UnknownLevel) {
  ExpectErrorAt(
      "[roles.cashier]\n"
      "actions = [\"customer.read\"]\n"
      "fields = { email = \"masked\", phone = \"partial\" }\n",
      3, "unknown level \"partial\" for field \"phone\" in role \"cashier\"");
}

TEST(PolicyErrorTest, WrongTypes) {
  ExpectErrorAt(std::string(kCashier) + "[roles.x]\nactions = \"customer.read\"\n", 7,
                "\"actions\" must be an array of strings");
  ExpectErrorAt(std::string(kCashier) + "[roles.x]\nactions = [\"customer.read\", 3]\n", 7,
                "\"actions\" must be an array of strings");
  ExpectErrorAt(std::string(kCashier) + "[roles.x]\n\nlookups_per_minute = \"60\"\n", 8,
                "\"lookups_per_minute\" must be an integer");
  ExpectErrorAt(std::string(kCashier) + "[roles.x]\nreveal_quota_per_hour = 1.5\n", 7,
                "\"reveal_quota_per_hour\" must be an integer");
  ExpectErrorAt(std::string(kCashier) + "[roles.x]\nfields = \"masked\"\n", 7,
                "\"fields\" must be a table");
  ExpectErrorAt(std::string(kCashier) + "[roles.x]\nfields = { email = 2 }\n", 7,
                "field \"email\" must be a level string");
  ExpectErrorAt(std::string(kCashier) + "[roles.x]\ndescription = true\n", 7,
                "\"description\" must be a string");
  ExpectErrorAt("roles = 3\n", 1, "\"roles\" must be a table");
  ExpectErrorAt("[roles]\nclerk = 3\n", 2, "role \"clerk\" must be a table");
}

TEST(PolicyErrorTest, NegativeOrHugeNumbers) {
  ExpectErrorAt(std::string(kCashier) + "reveal_quota_per_hour = -1\n", 6, "must not be negative");
  ExpectErrorAt(
      "[roles.cashier]\n"
      "actions = [\"customer.search\"]\n"
      "lookups_per_minute = 9999999999\n",
      3, "must be at most");
}

TEST(PolicyErrorTest, LimitsGoUpToAMillion) {
  // A busy integration may need a high rate: the limiter's cost does not grow
  // with the limit, so the policy allows up to 1,000,000 and no more.
  auto policy = Policy::Parse(
      "[roles.pos]\n"
      "actions = [\"customer.search\", \"customer.reveal\"]\n"
      "fields = { email = \"plaintext\" }\n"
      "lookups_per_minute = 1000000\n"
      "reveal_quota_per_hour = 1000000\n",
      "test.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->LookupsPerMinute(std::vector<std::string>{"pos"}), 1'000'000);
  EXPECT_EQ(policy->RevealQuotaPerHour(std::vector<std::string>{"pos"}), 1'000'000);
  ExpectErrorAt(
      "[roles.cashier]\n"
      "actions = [\"customer.search\"]\n"
      "lookups_per_minute = 1000001\n",
      3, "must be at most 1000000");
}

TEST(PolicyErrorTest, SyntaxError) {
  ExpectErrorAt(
      "[roles.cashier]\n"
      "actions = [\"customer.read\"]\n"
      "fields = { email = \"masked\"\n",
      3, "");
  ExpectErrorAt(std::string(kCashier) + "[roles.cashier]\n", 6, "");
}

TEST(PolicyErrorTest, RevealAndPlaintextMustAgree) {
  // Reveal with nothing to reveal: points at the role's header.
  ExpectErrorAt(std::string(kCashier) +
                    "\n"
                    "[roles.support]\n"
                    "actions = [\"customer.reveal\"]\n"
                    "fields = { phone = \"masked\" }\n"
                    "reveal_quota_per_hour = 3\n",
                7, "grants \"customer.reveal\" but no field is plaintext");
  // Plaintext without reveal: points at the field.
  ExpectErrorAt(
      "[roles.support]\n"
      "actions = [\"customer.read\"]\n"
      "fields = { phone = \"plaintext\" }\n",
      3, "field \"phone\" is plaintext but role \"support\" lacks");
  // Reveal without quota.
  ExpectErrorAt(
      "[roles.support]\n"
      "actions = [\"customer.reveal\"]\n"
      "fields = { phone = \"plaintext\" }\n",
      1, "reveal_quota_per_hour is 0");
}

TEST(PolicyErrorTest, LookupActionNeedsARate) {
  ExpectErrorAt(
      "[roles.cashier]\n"
      "actions = [\"customer.verify\"]\n",
      1, "grants \"customer.verify\" but lookups_per_minute is 0");
}

TEST(PolicyErrorTest, DuplicateAction) {
  ExpectErrorAt(
      "[roles.cashier]\n"
      "actions = [\"customer.read\",\n"
      "           \"customer.read\"]\n",
      3, "duplicate action \"customer.read\"");
}

TEST(PolicyErrorTest, BadRoleName) {
  ExpectErrorAt(std::string(kCashier) + "[roles.\"Head Office\"]\n", 6,
                "invalid role name \"Head Office\"");
}

TEST(PolicyErrorTest, NoRoles) {
  ExpectErrorAt("", 1, "grants nothing");
  ExpectErrorAt("# nothing\n\n[roles]\n", 3, "grants nothing");
}

TEST(PolicyLoadFileTest, MissingFileIsNotFound) {
  StatusOr<Policy> policy = Policy::LoadFile("/nonexistent/policy.toml");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(policy.status().message(), HasSubstr("/nonexistent/policy.toml"));
}

TEST(PolicyLoadFileTest, ErrorsNameThePath) {
  // Unique per process: make test and make test-asan may run at once.
  const std::filesystem::path path = std::filesystem::path(::testing::TempDir()) /
                                     ("policy_test_bad." + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << kCashier << "actions = [\"customer.delete\"]\n";
  }
  StatusOr<Policy> policy = Policy::LoadFile(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument);
  // A duplicate key is a TOML error, reported at its line.
  EXPECT_THAT(policy.status().message(), StartsWith(path.string() + ":6: "));
}

}  // namespace
}  // namespace vault::policy
