// AccessService without HTTP, on a real vault with the shipped policy: each
// call leaves exactly one audit entry, a batch runs item by item with an
// entry per item (a malformed one included), and an erasure scrubs the WAL.
#include "service/access_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/audited_vault.h"

namespace vault::service {
namespace {

using audit::AuditAction;
using vault::testing::AuditedVault;
using vault::testing::Employee;

BatchItem Item(BatchItem::Op op, std::optional<std::string> email) {
  BatchItem item;
  item.op = op;
  item.input.email = std::move(email);
  return item;
}

class AccessServiceTest : public ::testing::Test {
 protected:
  std::vector<store::AuditRow> Entries() { return v_.Entries(); }

  const RequestMeta meta_{"req-7", "10.1.2.3"};
  AuditedVault v_;
  std::unique_ptr<AccessService> access_ =
      std::make_unique<AccessService>(*v_.vault->customers, *v_.policy, *v_.audit);
};

TEST_F(AccessServiceTest, CreateRecordsOneEntryNamingTheNewCustomer) {
  auto view = access_->Create(Employee("alice", "cashier"), meta_, {"jane@example.com", {}, {}});
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->email.value, "j•••@e•••.com");
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, "customer.create");
  EXPECT_EQ(rows[0].record_id, view->id);
  EXPECT_EQ(rows[0].outcome, "success");
  EXPECT_EQ(rows[0].fields, "email:masked");
  EXPECT_EQ(rows[0].request_id, "req-7");
}

TEST_F(AccessServiceTest, RefusedRevealIsAuditedWithTheFieldsAskedFor) {
  auto id = access_->Create(Employee("alice", "cashier"), meta_, {"jane@example.com", {}, {}});
  ASSERT_TRUE(id.ok());
  auto revealed =
      access_->Reveal(Employee("alice", "cashier"), meta_, id->id, {ContactField::kEmail}, "asked");
  EXPECT_EQ(revealed.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(revealed.status().Is(Reason::kForbidden));
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].action, "customer.reveal");
  EXPECT_EQ(rows[1].outcome, "denied");
  EXPECT_EQ(rows[1].fields, "email:masked");
  EXPECT_EQ(rows[1].detail, "forbidden");
}

TEST_F(AccessServiceTest, BatchGivesEachItemItsOwnResultAndEntry) {
  const auth::Principal till = Employee("till-1", "pos");
  BatchItem unread;
  unread.unread = InvalidArgument("each item must be an object", "item_invalid");
  unread.unread_action = AuditAction::kCustomerBatch;
  std::vector<BatchItem> items = {
      Item(BatchItem::Op::kCreate, "ann@example.com"),       unread,
      Item(BatchItem::Op::kFindOrCreate, "ann@example.com"),  // found: the first item made it
      Item(BatchItem::Op::kCreate, "ann@example.com"),        // taken
      Item(BatchItem::Op::kFindOrCreate, "bob@example.com"),  // made
  };
  auto results = access_->Batch(till, meta_, items);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 5u);
  const auto& r = *results;
  ASSERT_TRUE(r[0].status.ok());
  EXPECT_TRUE(r[0].created);
  EXPECT_EQ(r[1].status.reason(), "item_invalid");
  EXPECT_FALSE(r[1].customer.has_value());
  ASSERT_TRUE(r[2].status.ok());
  EXPECT_FALSE(r[2].created);
  EXPECT_EQ(r[2].customer->id, r[0].customer->id);
  EXPECT_EQ(r[3].status.code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(r[4].status.ok());
  EXPECT_TRUE(r[4].created);
  EXPECT_NE(r[4].customer->id, r[0].customer->id);

  std::vector<std::string> seen;
  for (const auto& row : Entries()) seen.push_back(row.action + " " + row.outcome);
  // A find-or-create is a search, then a create when nothing matched.
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "customer.create success",
                      "customer.batch invalid",
                      "customer.search success",
                      "customer.create conflict",
                      "customer.search no_match",
                      "customer.create success",
                  }));
  EXPECT_EQ(Entries()[1].detail, "item_invalid");
}

TEST_F(AccessServiceTest, BatchRefusesNoItemsAndTooManyWithoutAnEntry) {
  const auth::Principal till = Employee("till-1", "pos");
  auto none = access_->Batch(till, meta_, {});
  EXPECT_EQ(none.status().reason(), "batch_invalid");
  std::vector<BatchItem> many(kMaxBatchItems + 1, Item(BatchItem::Op::kCreate, "x@example.com"));
  auto too_many = access_->Batch(till, meta_, many);
  EXPECT_EQ(too_many.status().reason(), "batch_invalid");
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AccessServiceTest, BatchByARoleThatMayNotCreateRefusesEveryItem) {
  auto results = access_->Batch(Employee("mia", "marketing"), meta_,
                                {Item(BatchItem::Op::kCreate, "ann@example.com"),
                                 Item(BatchItem::Op::kFindOrCreate, "bob@example.com")});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  for (const auto& r : *results) EXPECT_TRUE(r.status.Is(Reason::kForbidden));
  auto rows = Entries();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].action, "customer.create");
  EXPECT_EQ(rows[1].action, "customer.search");
  for (const auto& row : rows) EXPECT_EQ(row.outcome, "denied");
}

TEST_F(AccessServiceTest, EraseScrubsTheWalOnlyWhenSomethingWasErased) {
  int scrubs = 0;
  access_->set_erasure_scrub([&scrubs] {
    ++scrubs;
    return Status::Ok();
  });
  auto made = access_->Create(Employee("alice", "cashier"), meta_, {"jane@example.com", {}, {}});
  ASSERT_TRUE(made.ok());
  // A cashier may not erase: refused, nothing to scrub.
  EXPECT_TRUE(access_->Erase(Employee("alice", "cashier"), meta_, made->id)
                  .status()
                  .Is(Reason::kForbidden));
  EXPECT_EQ(scrubs, 0);
  auto erased = access_->Erase(Employee("pat", "privacy_officer"), meta_, made->id);
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(scrubs, 1);
  EXPECT_EQ(erased->actor, "employee:pat");
  // A failing scrub does not undo or fail the erasure (best effort).
  access_->set_erasure_scrub([] { return Unavailable("busy", "storage_busy"); });
  auto again = access_->Create(Employee("alice", "cashier"), meta_, {"jim@example.com", {}, {}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(access_->Erase(Employee("pat", "privacy_officer"), meta_, again->id).ok());
}

}  // namespace
}  // namespace vault::service
