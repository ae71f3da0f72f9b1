// One lookup budget: an update's uniqueness check tests a value against every
// stored email, so it spends lookups_per_minute like a search, and its 409
// names the existing customer only to a caller that could have found it by
// search. Attacks on the real server: a support token guessing emails through
// PATCH, and a role that may update but not search.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_server.h"
#include "support/test_vault.h"

namespace vault {
namespace {

using testing::Json;
using testing::Response;
using testing::TestServer;

std::string Path(const std::string& id) { return "/v1/customers/" + id; }

TEST(LookupBudgetTest, PatchGuessesAreRefusedAfterTheBudget) {
  TestServer server;
  std::string support = server.CreateEmployee("support1", "support");
  std::string target = server.CreateCustomer("ivo.petrov@example.net", std::nullopt, "Ivo Petrov");
  std::string known = server.CreateCustomer("mara.lind@example.org", std::nullopt, "Mara Lind");
  const std::vector<std::string> roles = {"support"};
  ASSERT_EQ(server.policy().LookupsPerMinute(roles), 60);

  int answered = 0, refused = 0;
  bool named_known = false;
  for (int i = 0; i < 150; ++i) {
    // Guess 10 is the other customer's email: a hit within the budget.
    std::string guess =
        i == 10 ? "mara.lind@example.org" : "guess" + std::to_string(i) + "@example.com";
    Response r = server.client().Patch(Path(target), support, {{"email", guess}});
    if (r.status == 429) {
      EXPECT_EQ(r.Code(), "lookup_rate_limited") << r.text;
      ++refused;
      continue;
    }
    ++answered;
    if (i == 10) {
      EXPECT_EQ(r.status, 409) << r.text;
      // support may search by email: it may hear whom the email belongs to.
      named_known = r.body.value("detail", "").find(known) != std::string::npos;
    } else {
      EXPECT_EQ(r.status, 200) << r.text;
    }
  }
  EXPECT_EQ(answered, 60);
  EXPECT_EQ(refused, 90);
  EXPECT_TRUE(named_known);
  // A name-only patch tests nothing and still answers.
  EXPECT_EQ(server.client().Patch(Path(target), support, {{"name", "Ivo P"}}).status, 200);
}

// A policy with one more role that may update customers but not search them.
std::string PolicyWithEditor(const std::string& dir) {
  std::ifstream shipped(testing::SourceDir() + "/config/policy.toml");
  std::stringstream text;
  text << shipped.rdbuf()
       << "\n[roles.editor]\n"
          "description = \"Corrects records it is sent to; cannot search.\"\n"
          "actions = [\"customer.read\", \"customer.update\"]\n"
          "fields = { email = \"masked\", phone = \"masked\", name = \"masked\" }\n"
          "reveal_quota_per_hour = 0\n"
          "lookups_per_minute = 60\n";
  std::string path = dir + "/policy.toml";
  std::ofstream(path) << text.str();
  return path;
}

TEST(LookupBudgetTest, ConflictNamesTheCustomerOnlyToWhoCouldSearch) {
  testing::TempDir dir;
  std::string policy = PolicyWithEditor(dir.path());
  testing::TestServerOptions options;
  options.configure = [&](Config& c) { c.policy_file = policy; };
  TestServer server(options);
  std::string editor = server.CreateEmployee("editor1", "editor");
  std::string support = server.CreateEmployee("support1", "support");
  std::string target = server.CreateCustomer("ivo.petrov@example.net", std::nullopt, "Ivo Petrov");
  std::string known = server.CreateCustomer("mara.lind@example.org", std::nullopt, "Mara Lind");

  Response blind =
      server.client().Patch(Path(target), editor, {{"email", "mara.lind@example.org"}});
  EXPECT_EQ(blind.status, 409) << blind.text;
  EXPECT_EQ(blind.Code(), "duplicate_email") << blind.text;
  EXPECT_EQ(blind.text.find(known), std::string::npos) << blind.text;
  EXPECT_EQ(blind.text.find("cus_"), std::string::npos) << blind.text;

  // Control: the same conflict, for a role that may search, names it.
  Response named =
      server.client().Patch(Path(target), support, {{"email", "mara.lind@example.org"}});
  EXPECT_EQ(named.status, 409) << named.text;
  EXPECT_NE(named.text.find(known), std::string::npos) << named.text;
}

}  // namespace
}  // namespace vault
