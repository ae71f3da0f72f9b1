#include "service/customer_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "service/contact_normalizer.h"
#include "store/vault_tables.h"
#include "support/test_vault.h"

namespace vault::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using vault::testing::MakeTestVault;
using vault::testing::ReadFileBytes;
using vault::testing::TestVault;

constexpr char kCopyEmailCtSql[] =
    "UPDATE customers SET email_ct = (SELECT email_ct FROM customers WHERE id = ?) "
    "WHERE id = ?";
constexpr char kEmailCtIntoNameSql[] = "UPDATE customers SET name_ct = email_ct WHERE id = ?";
constexpr char kTransplantSql[] =
    "UPDATE customers SET (dek, dek_key_id, email_ct, phone_ct, name_ct) = "
    "(SELECT dek, dek_key_id, email_ct, phone_ct, name_ct FROM customers WHERE id = ?) "
    "WHERE id = ?";
constexpr char kGetDekSql[] = "SELECT dek FROM customers WHERE id = ?";
constexpr char kSetDekSql[] = "UPDATE customers SET dek = ? WHERE id = ?";
constexpr char kCorruptEmailCtSql[] =
    "UPDATE customers SET email_ct = zeroblob(length(email_ct)) WHERE id = ?";

CustomerInput Input(std::optional<std::string> email, std::optional<std::string> phone,
                    std::optional<std::string> name = std::nullopt) {
  return CustomerInput{std::move(email), std::move(phone), std::move(name)};
}

int64_t CountCustomers(TestVault& v) {
  int64_t n = -1;
  Status st = v.store().Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(n, store::CountCustomers(db));
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return n;
}

std::vector<std::string> Ids(const StatusOr<std::vector<Customer>>& found) {
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  std::vector<std::string> ids;
  if (found.ok()) {
    for (const auto& c : *found) ids.push_back(c.id);
  }
  return ids;
}

// Runs one statement with up to two text parameters in the writer, as an
// attacker with write access to the file would.
void Tamper(TestVault& v, const char* sql, const std::string& a, const std::string& b = "") {
  Status st = v.store().Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(store::Statement stmt, db.Prepare(sql));
    stmt.BindText(1, a);
    if (!b.empty()) stmt.BindText(2, b);
    RETURN_IF_ERROR(stmt.Run());
    if (db.Changes() < 1) return Internal("tamper changed nothing");
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
}

// Swaps the wrapped DEKs of two records.
void SwapDeks(TestVault& v, const std::string& a, const std::string& b) {
  Status st = v.store().Write([&](store::Database& db) -> Status {
    std::string dek_a, dek_b;
    for (auto [id, out] : {std::pair{&a, &dek_a}, std::pair{&b, &dek_b}}) {
      ASSIGN_OR_RETURN(store::Statement get, db.Prepare(kGetDekSql));
      get.BindText(1, *id);
      ASSIGN_OR_RETURN(bool row, get.Step());
      if (!row) return Internal("no such row");
      *out = get.ColumnBlob(0);
    }
    if (dek_a == dek_b) return Internal("DEKs are equal");
    for (auto [id, dek] : {std::pair{&a, &dek_b}, std::pair{&b, &dek_a}}) {
      ASSIGN_OR_RETURN(store::Statement set, db.Prepare(kSetDekSql));
      RETURN_IF_ERROR(set.BindBlob(1, *dek).BindText(2, *id).Run());
      if (db.Changes() != 1) return Internal("tamper changed nothing");
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
}

class CustomerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v_ = MakeTestVault();
    ASSERT_NE(v_->customers, nullptr);
  }
  CustomerService& svc() { return *v_->customers; }

  Customer MustCreate(const CustomerInput& input) {
    auto c = svc().Create(input);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : Customer{};
  }

  std::unique_ptr<TestVault> v_;
};

// --- Create and read ---

TEST_F(CustomerServiceTest, CreateGetRoundTripNormalizes) {
  auto created = svc().Create(Input(" Alice@Example.COM", "(514) 555-0199", "  Alice   Tremblay "));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(IsCustomerId(created->id));
  EXPECT_EQ(created->email, "alice@example.com");
  EXPECT_EQ(created->phone, "+15145550199");
  EXPECT_EQ(created->name, "Alice Tremblay");
  EXPECT_GT(created->created_at, 0);

  auto got = svc().Get(created->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, created->id);
  EXPECT_EQ(got->email, "alice@example.com");
  EXPECT_EQ(got->phone, "+15145550199");
  EXPECT_EQ(got->name, "Alice Tremblay");
  EXPECT_EQ(got->created_at, created->created_at);

  EXPECT_THAT(Ids(svc().FindByEmail("alice@example.com")), ElementsAre(created->id));
  EXPECT_THAT(Ids(svc().FindByEmail("  ALICE@example.com")), ElementsAre(created->id));
  EXPECT_THAT(Ids(svc().FindByPhone("+1 514-555-0199")), ElementsAre(created->id));
  EXPECT_THAT(Ids(svc().FindByPhone("514.555.0199")), ElementsAre(created->id));
  EXPECT_THAT(Ids(svc().FindByEmail("bob@example.com")), IsEmpty());
  EXPECT_THAT(Ids(svc().FindByPhone("+1 514 555 0198")), IsEmpty());
  EXPECT_EQ(CountCustomers(*v_), 1);
}

TEST_F(CustomerServiceTest, GetDecryptsOnlyTheFieldsAsked) {
  Customer c = MustCreate(Input("a@example.com", "+1 514 555 0100", "Ann"));
  auto none = svc().Get(c.id, FieldSet::None());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->email, std::nullopt);
  EXPECT_EQ(none->phone, std::nullopt);
  EXPECT_EQ(none->name, std::nullopt);
  FieldSet phone_only = FieldSet::None();
  phone_only.phone = true;
  auto phone = svc().Get(c.id, phone_only);
  ASSERT_TRUE(phone.ok());
  EXPECT_EQ(phone->email, std::nullopt);
  EXPECT_EQ(phone->phone, "+15145550100");
  auto found = svc().FindByEmail("a@example.com", FieldSet::None());
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].email, std::nullopt);
}

TEST_F(CustomerServiceTest, GetUnknownOrMalformedIdIsNotFound) {
  for (const std::string& id :
       {NewCustomerId(), std::string("cus_nothex"), std::string(""), std::string("' OR 1=1 --")}) {
    auto got = svc().Get(id);
    EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << id;
    EXPECT_EQ(got.status().reason(), "customer_not_found");
  }
}

TEST_F(CustomerServiceTest, CustomerIdsAreRandomAndWellFormed) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewCustomerId();
    EXPECT_TRUE(IsCustomerId(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_FALSE(IsCustomerId("cus_0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(IsCustomerId("usr_0123456789abcdef0123456789abcdef"));
}

TEST_F(CustomerServiceTest, DuplicateEmailIsRefusedNamingTheExistingId) {
  Customer first = MustCreate(Input("alice@example.com", std::nullopt));
  auto dup = svc().Create(Input(" ALICE@Example.com ", "+1 514 555 0199"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().reason(), "duplicate_email");
  EXPECT_THAT(dup.status().message(), HasSubstr(first.id));
  EXPECT_EQ(CountCustomers(*v_), 1);
  EXPECT_THAT(Ids(svc().FindByPhone("+1 514 555 0199")), IsEmpty());
}

TEST_F(CustomerServiceTest, PhoneMayBeShared) {
  Customer a = MustCreate(Input("a@example.com", "(514) 555-0199"));
  Customer b = MustCreate(Input("b@example.com", "+1 514-555-0199"));
  Customer c = MustCreate(Input(std::nullopt, "514 555 0199", "Only Phone"));
  // Same second, so the order among them is unspecified.
  EXPECT_THAT(Ids(svc().FindByPhone("5145550199")), UnorderedElementsAre(a.id, b.id, c.id));
  EXPECT_EQ(CountCustomers(*v_), 3);
}

TEST_F(CustomerServiceTest, InvalidInputIsRefusedNamingTheField) {
  MustCreate(Input("kept@example.com", std::nullopt));
  struct Case {
    CustomerInput input;
    const char* reason;
    const char* field;
  };
  const Case cases[] = {
      {Input("not-an-email", "+1 514 555 0199"), "email_invalid", "email"},
      {Input("a@b", std::nullopt), "email_invalid", "email"},
      {Input("", "+1 514 555 0199"), "email_invalid", "email"},
      {Input("ok@example.com", "call me"), "phone_invalid", "phone"},
      {Input("ok@example.com", "+1 514 555 01"), "phone_invalid", "phone"},
      {Input("ok@example.com", std::nullopt, "bad\x01name"), "name_invalid", "name"},
      {Input("ok@example.com", std::nullopt, "   "), "name_invalid", "name"},
      {Input("ok@example.com", std::nullopt, std::string(201, 'x')), "name_invalid", "name"},
  };
  for (const Case& c : cases) {
    auto created = svc().Create(c.input);
    ASSERT_FALSE(created.ok()) << c.reason;
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument) << c.reason;
    EXPECT_EQ(created.status().reason(), c.reason);
    EXPECT_THAT(created.status().message(), HasSubstr(c.field));
  }
  EXPECT_EQ(CountCustomers(*v_), 1);
  EXPECT_THAT(Ids(svc().FindByEmail("ok@example.com")), IsEmpty());
}

TEST_F(CustomerServiceTest, EmailOrPhoneIsRequired) {
  for (const CustomerInput& input :
       {Input(std::nullopt, std::nullopt, "Name Only"), Input(std::nullopt, std::nullopt)}) {
    auto created = svc().Create(input);
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(created.status().reason(), "contact_required");
  }
  EXPECT_EQ(CountCustomers(*v_), 0);
  // Either one alone is enough.
  MustCreate(Input("e@example.com", std::nullopt));
  MustCreate(Input(std::nullopt, "+1 416 555 0123"));
  EXPECT_EQ(CountCustomers(*v_), 2);
}

TEST_F(CustomerServiceTest, TimesComeFromTheClock) {
  int64_t now_ms = 1'700'000'000'000;
  CustomerService svc(v_->store(), v_->keys(), {"CA", /*last_seen_resolution_s=*/0},
                      [&] { return now_ms; });
  auto c = svc.Create(Input("t@example.com", std::nullopt));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->created_at, 1'700'000'000);
  now_ms += 60'000;
  auto u = svc.Update(c->id, CustomerPatch{std::nullopt, std::nullopt, "Tim"});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->created_at, 1'700'000'000);
  EXPECT_EQ(u->updated_at, 1'700'000'060);
  now_ms += 60'000;
  ASSERT_TRUE(svc.Touch({c->id}).ok());
  auto got = svc.Get(c->id, FieldSet::None());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->last_seen_at, 1'700'000'120);
  // last_seen_at never moves backwards.
  now_ms -= 3'600'000;
  ASSERT_TRUE(svc.Touch({c->id}).ok());
  EXPECT_EQ(svc.Get(c->id, FieldSet::None())->last_seen_at, 1'700'000'120);
}

// Lookups move last_seen_at only once it is older than the resolution
// (an hour by default): most of them then rewrite nothing.
TEST_F(CustomerServiceTest, TouchMovesLastSeenOnlyPastTheResolution) {
  int64_t now_ms = 1'700'000'000'000;
  CustomerService svc(v_->store(), v_->keys(), {"CA", /*last_seen_resolution_s=*/3600},
                      [&] { return now_ms; });
  auto c = svc.Create(Input("r@example.com", std::nullopt));
  ASSERT_TRUE(c.ok());
  now_ms += 3'599'000;
  ASSERT_TRUE(svc.Touch({c->id}).ok());
  EXPECT_EQ(svc.Get(c->id, FieldSet::None())->last_seen_at, 1'700'000'000);
  now_ms += 2'000;
  ASSERT_TRUE(svc.Touch({c->id}).ok());
  EXPECT_EQ(svc.Get(c->id, FieldSet::None())->last_seen_at, 1'700'003'601);
}

// --- Update ---

TEST_F(CustomerServiceTest, UpdateChangesEmail) {
  Customer c = MustCreate(Input("old@example.com", "+1 514 555 0100", "Name"));
  auto updated = svc().Update(c.id, CustomerPatch{" New@Example.com", std::nullopt, std::nullopt});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->email, "new@example.com");
  EXPECT_EQ(updated->phone, "+15145550100");
  EXPECT_EQ(updated->name, "Name");
  EXPECT_THAT(Ids(svc().FindByEmail("old@example.com")), IsEmpty());
  EXPECT_THAT(Ids(svc().FindByEmail("new@example.com")), ElementsAre(c.id));
  auto got = svc().Get(c.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->email, "new@example.com");
  EXPECT_EQ(got->phone, "+15145550100");
  EXPECT_EQ(got->name, "Name");
  // The old email is free for someone else now.
  MustCreate(Input("old@example.com", std::nullopt));
}

TEST_F(CustomerServiceTest, UpdateRemovesAFieldWithEmptyString) {
  Customer c = MustCreate(Input("a@example.com", "+1 514 555 0100", "Name"));
  auto updated = svc().Update(c.id, CustomerPatch{std::nullopt, "", ""});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->phone, std::nullopt);
  EXPECT_EQ(updated->name, std::nullopt);
  auto got = svc().Get(c.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->email, "a@example.com");
  EXPECT_EQ(got->phone, std::nullopt);
  EXPECT_EQ(got->name, std::nullopt);
  EXPECT_THAT(Ids(svc().FindByPhone("+1 514 555 0100")), IsEmpty());
  auto verify = svc().Verify(c.id, ContactField::kPhone, "+1 514 555 0100");
  ASSERT_TRUE(verify.ok());
  EXPECT_FALSE(*verify);
}

TEST_F(CustomerServiceTest, UpdateCannotRemoveBothEmailAndPhone) {
  Customer both = MustCreate(Input("both@example.com", "+1 514 555 0100"));
  auto st = svc().Update(both.id, CustomerPatch{"", "", std::nullopt});
  EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.status().reason(), "contact_required");

  Customer email_only = MustCreate(Input("only@example.com", std::nullopt));
  st = svc().Update(email_only.id, CustomerPatch{"", std::nullopt, std::nullopt});
  EXPECT_EQ(st.status().reason(), "contact_required");

  // Nothing changed.
  auto got = svc().Get(both.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->email, "both@example.com");
  EXPECT_EQ(got->phone, "+15145550100");
  EXPECT_THAT(Ids(svc().FindByEmail("only@example.com")), ElementsAre(email_only.id));

  // Swapping one contact for the other in one update is fine.
  auto swapped = svc().Update(email_only.id, CustomerPatch{"", "+1 416 555 0101", std::nullopt});
  ASSERT_TRUE(swapped.ok()) << swapped.status().ToString();
  EXPECT_EQ(swapped->email, std::nullopt);
  EXPECT_EQ(swapped->phone, "+14165550101");
}

TEST_F(CustomerServiceTest, UpdateToAnotherCustomersEmailIsRefused) {
  Customer a = MustCreate(Input("a@example.com", std::nullopt));
  Customer b = MustCreate(Input("b@example.com", std::nullopt));
  auto st = svc().Update(b.id, CustomerPatch{"A@EXAMPLE.COM", std::nullopt, std::nullopt});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(st.status().reason(), "duplicate_email");
  EXPECT_THAT(st.status().message(), HasSubstr(a.id));
  EXPECT_EQ(svc().Get(b.id)->email, "b@example.com");
  EXPECT_THAT(Ids(svc().FindByEmail("a@example.com")), ElementsAre(a.id));
  // Re-stating one's own email is not a conflict.
  auto same = svc().Update(a.id, CustomerPatch{" A@example.com", std::nullopt, std::nullopt});
  EXPECT_TRUE(same.ok()) << same.status().ToString();
}

TEST_F(CustomerServiceTest, UpdateValidatesInput) {
  Customer c = MustCreate(Input("a@example.com", "+1 514 555 0100"));
  auto st = svc().Update(c.id, CustomerPatch{"nope", std::nullopt, std::nullopt});
  EXPECT_EQ(st.status().reason(), "email_invalid");
  st = svc().Update(c.id, CustomerPatch{std::nullopt, "nope", std::nullopt});
  EXPECT_EQ(st.status().reason(), "phone_invalid");
  st = svc().Update(c.id, CustomerPatch{std::nullopt, std::nullopt, "\x7f"});
  EXPECT_EQ(st.status().reason(), "name_invalid");
  auto got = svc().Get(c.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->email, "a@example.com");
  EXPECT_EQ(got->phone, "+15145550100");
}

TEST_F(CustomerServiceTest, UpdateUnknownIdIsNotFound) {
  auto st = svc().Update(NewCustomerId(), CustomerPatch{std::nullopt, std::nullopt, "X"});
  EXPECT_EQ(st.status().code(), StatusCode::kNotFound);
}

// --- Erase ---

TEST_F(CustomerServiceTest, EraseRemovesTheCustomer) {
  Customer c = MustCreate(Input("gone@example.com", "+1 514 555 0100", "Gone"));
  Customer other = MustCreate(Input("stay@example.com", "+1 514 555 0100"));
  ASSERT_TRUE(svc().Erase(c.id).ok());
  EXPECT_EQ(svc().Get(c.id).status().code(), StatusCode::kNotFound);
  EXPECT_THAT(Ids(svc().FindByEmail("gone@example.com")), IsEmpty());
  EXPECT_THAT(Ids(svc().FindByPhone("+1 514 555 0100")), ElementsAre(other.id));
  EXPECT_EQ(svc().Verify(c.id, ContactField::kEmail, "gone@example.com").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(svc().Erase(c.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(CountCustomers(*v_), 1);
  // The email can be used again.
  MustCreate(Input("gone@example.com", std::nullopt));
}

// --- Verify ---

TEST_F(CustomerServiceTest, VerifyMatchesByBlindIndex) {
  Customer c = MustCreate(Input("alice@example.com", "(514) 555-0199"));
  Customer no_phone = MustCreate(Input("nophone@example.com", std::nullopt));
  auto check = [&](const std::string& id, ContactField field, const std::string& value) {
    auto r = svc().Verify(id, field, value);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_TRUE(check(c.id, ContactField::kEmail, " ALICE@example.com"));
  EXPECT_FALSE(check(c.id, ContactField::kEmail, "alice@example.org"));
  EXPECT_TRUE(check(c.id, ContactField::kPhone, "+1 514 555 0199"));
  EXPECT_FALSE(check(c.id, ContactField::kPhone, "+1 514 555 0198"));
  // Another customer's email is not this one's.
  EXPECT_FALSE(check(no_phone.id, ContactField::kEmail, "alice@example.com"));
  // An absent field matches nothing.
  EXPECT_FALSE(check(no_phone.id, ContactField::kPhone, "+1 514 555 0199"));

  EXPECT_EQ(svc().Verify(c.id, ContactField::kName, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(svc().Verify(c.id, ContactField::kEmail, "bad").status().reason(), "email_invalid");
  EXPECT_EQ(svc().Verify(NewCustomerId(), ContactField::kEmail, "a@example.com").status().code(),
            StatusCode::kNotFound);
}

TEST_F(CustomerServiceTest, VerifyDoesNotDecrypt) {
  Customer c = MustCreate(Input("alice@example.com", std::nullopt));
  // Destroy the ciphertext: a decrypting Verify could no longer answer.
  Tamper(*v_, kCorruptEmailCtSql, c.id);
  ASSERT_EQ(svc().Get(c.id).status().code(), StatusCode::kDataLoss);
  auto r = svc().Verify(c.id, ContactField::kEmail, "alice@example.com");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  r = svc().Verify(c.id, ContactField::kEmail, "bob@example.com");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

// --- Hooks run in the change's transaction ---

TEST_F(CustomerServiceTest, HookSeesTheChangeAndCommitsWithIt) {
  std::string hook_id;
  bool row_visible = false;
  auto created = svc().Create(Input("h@example.com", std::nullopt),
                              [&](store::Database& db, const std::string& id) -> Status {
                                hook_id = id;
                                ASSIGN_OR_RETURN(auto row, store::FindCustomer(db, id));
                                row_visible = row.has_value();
                                return store::SetMeta(db, "hook." + id, "audited");
                              });
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(hook_id, created->id);
  EXPECT_TRUE(row_visible);
  std::optional<std::string> meta;
  ASSERT_TRUE(v_->store()
                  .Read([&](store::Database& db) -> Status {
                    ASSIGN_OR_RETURN(meta, store::GetMeta(db, "hook." + created->id));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(meta, "audited");
}

TEST_F(CustomerServiceTest, FailingHookRollsBackCreate) {
  auto hook = [](store::Database& db, const std::string& id) -> Status {
    RETURN_IF_ERROR(store::SetMeta(db, "hook." + id, "written"));
    return Unavailable("audit log unavailable", "audit_unavailable");
  };
  auto created = svc().Create(Input("h@example.com", "+1 514 555 0100", "H"), hook);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(created.status().reason(), "audit_unavailable");
  EXPECT_EQ(CountCustomers(*v_), 0);
  EXPECT_THAT(Ids(svc().FindByEmail("h@example.com")), IsEmpty());
  EXPECT_THAT(Ids(svc().FindByPhone("+1 514 555 0100")), IsEmpty());
  int64_t meta_rows = -1;
  ASSERT_TRUE(v_->store()
                  .Read([&](store::Database& db) -> Status {
                    ASSIGN_OR_RETURN(store::Statement st,
                                     db.Prepare("SELECT COUNT(*) FROM meta WHERE key "
                                                "LIKE 'hook.%'"));
                    ASSIGN_OR_RETURN(bool row, st.Step());
                    meta_rows = row ? st.ColumnInt(0) : -1;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(meta_rows, 0);
  // The email is not taken by the rolled-back attempt.
  MustCreate(Input("h@example.com", std::nullopt));
}

TEST_F(CustomerServiceTest, FailingHookRollsBackUpdate) {
  Customer c = MustCreate(Input("a@example.com", "+1 514 555 0100", "Name"));
  auto updated =
      svc().Update(c.id, CustomerPatch{"b@example.com", "", "Other"},
                   [](store::Database&, const std::string&) { return Unavailable("no audit"); });
  EXPECT_EQ(updated.status().code(), StatusCode::kUnavailable);
  auto got = svc().Get(c.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->email, "a@example.com");
  EXPECT_EQ(got->phone, "+15145550100");
  EXPECT_EQ(got->name, "Name");
  EXPECT_EQ(got->updated_at, c.updated_at);
  EXPECT_THAT(Ids(svc().FindByEmail("a@example.com")), ElementsAre(c.id));
  EXPECT_THAT(Ids(svc().FindByEmail("b@example.com")), IsEmpty());
  EXPECT_THAT(Ids(svc().FindByPhone("+1 514 555 0100")), ElementsAre(c.id));
}

TEST_F(CustomerServiceTest, FailingHookRollsBackErase) {
  Customer c = MustCreate(Input("a@example.com", "+1 514 555 0100", "Name"));
  Status st = svc().Erase(
      c.id, [](store::Database&, const std::string&) { return Unavailable("no audit"); });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  auto got = svc().Get(c.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->email, "a@example.com");
  EXPECT_THAT(Ids(svc().FindByEmail("a@example.com")), ElementsAre(c.id));
  EXPECT_EQ(CountCustomers(*v_), 1);
}

// --- Tampering with the file ---

TEST_F(CustomerServiceTest, CiphertextCopiedToAnotherRecordFailsToDecrypt) {
  Customer victim = MustCreate(Input("victim@example.com", "+1 514 555 0100"));
  Customer attacker = MustCreate(Input("attacker@example.com", "+1 514 555 0101"));
  // Copy the victim's email ciphertext into the attacker's row, hoping the
  // attacker's record decrypts it.
  Tamper(*v_, kCopyEmailCtSql, victim.id, attacker.id);
  auto got = svc().Get(attacker.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(got.status().message(), "decryption failed");
  // The untouched field and the victim's record still open.
  FieldSet phone_only = FieldSet::None();
  phone_only.phone = true;
  EXPECT_EQ(svc().Get(attacker.id, phone_only)->phone, "+15145550101");
  EXPECT_EQ(svc().Get(victim.id)->email, "victim@example.com");
  // Search results that include the tampered row fail rather than leak.
  EXPECT_EQ(svc().FindByEmail("attacker@example.com").status().code(), StatusCode::kDataLoss);
}

TEST_F(CustomerServiceTest, CiphertextMovedToAnotherFieldFailsToDecrypt) {
  Customer c = MustCreate(Input("c@example.com", std::nullopt, "Name"));
  Tamper(*v_, kEmailCtIntoNameSql, c.id);
  auto got = svc().Get(c.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(got.status().message(), "decryption failed");
}

TEST_F(CustomerServiceTest, SwappedDeksFailToDecrypt) {
  Customer a = MustCreate(Input("a@example.com", std::nullopt, "A"));
  Customer b = MustCreate(Input("b@example.com", std::nullopt, "B"));
  SwapDeks(*v_, a.id, b.id);
  for (const std::string& id : {a.id, b.id}) {
    auto got = svc().Get(id);
    ASSERT_FALSE(got.ok()) << id;
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
    EXPECT_EQ(got.status().message(), "decryption failed");
    // Update needs the DEK too, and must not silently re-key the record.
    auto updated = svc().Update(id, CustomerPatch{std::nullopt, std::nullopt, "X"});
    EXPECT_EQ(updated.status().code(), StatusCode::kDataLoss);
  }
}

TEST_F(CustomerServiceTest, RecordTransplantedUnderAnotherIdFailsToDecrypt) {
  // The whole envelope (wrapped DEK and every ciphertext) of the victim moved
  // under the attacker's id: only the record id bound into the AAD stops it.
  Customer victim = MustCreate(Input("victim@example.com", "+1 514 555 0100", "Vic"));
  Customer attacker = MustCreate(Input("attacker@example.com", "+1 514 555 0101", "Att"));
  Tamper(*v_, kTransplantSql, victim.id, attacker.id);
  for (FieldSet fields : {FieldSet::All(), FieldSet{true, false, false},
                          FieldSet{false, true, false}, FieldSet{false, false, true}}) {
    auto got = svc().Get(attacker.id, fields);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
    EXPECT_EQ(got.status().message(), "decryption failed");
  }
  EXPECT_EQ(svc().Get(victim.id)->email, "victim@example.com");
}

TEST_F(CustomerServiceTest, TamperedDataIsStillTamperedAfterReopen) {
  Customer a = MustCreate(Input("a@example.com", std::nullopt));
  Customer b = MustCreate(Input("b@example.com", std::nullopt));
  Tamper(*v_, kCopyEmailCtSql, a.id, b.id);
  v_->Reopen();
  ASSERT_NE(v_->customers, nullptr);
  EXPECT_EQ(svc().Get(b.id).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(svc().Get(a.id)->email, "a@example.com");
}

// --- Plaintext never reaches the file ---

struct Person {
  std::string email;           // as typed, lower-case already
  std::string phone_input;     // "(514) 555-0142"
  std::string phone_e164;      // "+15145550142"
  std::string phone_national;  // "5145550142"
  std::string name;
};

std::vector<Person> People(int n) {
  // 555-0100..0199 is the fictional NANP range; ten area codes make 1,000.
  static constexpr const char* kAreaCodes[] = {"514", "438", "450", "416", "647",
                                               "604", "778", "613", "403", "905"};
  std::vector<Person> people;
  for (int i = 0; i < n; ++i) {
    char num[5];
    std::snprintf(num, sizeof(num), "%04d", i);
    std::string area = kAreaCodes[(i / 100) % 10];
    std::string line = std::to_string(100 + i % 100);  // "100".."199"
    Person p;
    p.email = std::string("person") + num + "@example-shop.test";
    p.phone_input = "(" + area + ") 555-0" + line;
    p.phone_e164 = "+1" + area + "5550" + line;
    p.phone_national = area + "5550" + line;
    p.name = std::string("Zephyrine Quillfeather") + num;
    people.push_back(std::move(p));
  }
  return people;
}

// Returns a description of the first plaintext found in `bytes`, or "".
std::string FindPlaintext(const std::string& bytes, const std::vector<Person>& people) {
  // Every value shares one of these fragments; if none appears, no value does.
  for (const char* fragment : {"example-shop", "person0", "Zephyrine", "Quillfeather"}) {
    if (bytes.find(fragment) != std::string::npos) {
      return std::string("fragment \"") + fragment + "\"";
    }
  }
  for (size_t i = 0; i < people.size(); ++i) {
    const Person& p = people[i];
    for (const std::string* value : {&p.email, &p.phone_e164, &p.phone_national, &p.name}) {
      if (bytes.find(*value) != std::string::npos) {
        return "a value of person " + std::to_string(i);
      }
    }
  }
  return "";
}

TEST(CustomerServiceRawFileTest, DatabaseFilesHoldNoPlaintext) {
  constexpr int kPeople = 1000;
  constexpr int kThreads = 8;
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  std::vector<Person> people = People(kPeople);
  // Check the data is what the test means it to be: valid, distinct numbers.
  std::set<std::string> phones;
  for (const Person& p : people) {
    auto e164 = NormalizePhone(p.phone_input, "CA");
    ASSERT_TRUE(e164.ok()) << p.phone_input;
    ASSERT_EQ(*e164, p.phone_e164);
    phones.insert(*e164);
  }
  ASSERT_EQ(phones.size(), static_cast<size_t>(kPeople));

  std::vector<std::string> ids(kPeople);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kPeople; i += kThreads) {
        auto c =
            v->customers->Create(Input(people[i].email, people[i].phone_input, people[i].name));
        if (!c.ok()) {
          failures++;
          continue;
        }
        ids[i] = c->id;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  // Spot-check that the data really is in there and readable.
  auto sample = v->customers->FindByPhone(people[421].phone_input);
  EXPECT_TRUE(sample.ok() && sample->size() == 1 && (*sample)[0].name == people[421].name)
      << sample.status().ToString();

  const std::string db = v->db_path;
  // While the vault is open: the WAL holds the recent pages.
  {
    std::string main_bytes = ReadFileBytes(db);
    std::string wal_bytes = ReadFileBytes(db + "-wal");
    ASSERT_FALSE(main_bytes.empty());
    ASSERT_FALSE(wal_bytes.empty()) << "expected a populated -wal while open";
    // The reading works: record ids (not secret) are found in the files.
    std::string all = main_bytes + wal_bytes;
    EXPECT_TRUE(vault::testing::Contains(all, ids[0]));
    EXPECT_TRUE(vault::testing::Contains(all, ids[kPeople - 1]));
    EXPECT_EQ(FindPlaintext(main_bytes, people), "") << "in vault.db while open";
    EXPECT_EQ(FindPlaintext(wal_bytes, people), "") << "in vault.db-wal while open";
    EXPECT_EQ(FindPlaintext(ReadFileBytes(db + "-shm"), people), "") << "in -shm";
  }
  // A backup holds ciphertext only, too.
  std::string backup = v->dir.path() + "/backup.db";
  ASSERT_TRUE(v->store().Backup(backup).ok());
  std::string backup_bytes = ReadFileBytes(backup);
  EXPECT_TRUE(vault::testing::Contains(backup_bytes, ids[7]));
  EXPECT_EQ(FindPlaintext(backup_bytes, people), "") << "in the backup";

  // After close: everything checkpointed into the main file.
  v->Close();
  std::string main_bytes = ReadFileBytes(db);
  EXPECT_TRUE(vault::testing::Contains(main_bytes, ids[kPeople / 2]));
  EXPECT_EQ(FindPlaintext(main_bytes, people), "") << "in vault.db after close";
  EXPECT_EQ(FindPlaintext(ReadFileBytes(db + "-wal"), people), "") << "in vault.db-wal after close";
}

// Erasing leaves no plaintext and no ciphertext of the record in the file
// (secure_delete): the record's bytes are gone, not just unlinked.
TEST(CustomerServiceRawFileTest, EraseRemovesTheRecordsBytes) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  auto keep = v->customers->Create(Input("keep@example.com", std::nullopt));
  auto gone = v->customers->Create(Input("gone@example.com", std::nullopt));
  ASSERT_TRUE(keep.ok() && gone.ok());
  std::optional<store::CustomerRow> row;
  ASSERT_TRUE(v->store()
                  .Read([&](store::Database& db) -> Status {
                    ASSIGN_OR_RETURN(row, store::FindCustomer(db, gone->id));
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(row.has_value());
  v->Close();
  ASSERT_TRUE(vault::testing::Contains(ReadFileBytes(v->db_path), row->dek));
  v->Reopen();
  ASSERT_NE(v->customers, nullptr);
  ASSERT_TRUE(v->customers->Erase(gone->id).ok());
  v->Close();
  std::string bytes = ReadFileBytes(v->db_path) + ReadFileBytes(v->db_path + "-wal");
  EXPECT_FALSE(vault::testing::Contains(bytes, row->dek)) << "wrapped DEK survived erase";
  EXPECT_FALSE(vault::testing::Contains(bytes, *row->email_ct));
  EXPECT_FALSE(vault::testing::Contains(bytes, *row->email_idx));
  EXPECT_TRUE(vault::testing::Contains(bytes, keep->id));
}

}  // namespace
}  // namespace vault::service
