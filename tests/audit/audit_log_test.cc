#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "crypto/util.h"
#include "store/audit_tables.h"
#include "store/vault_tables.h"
#include "support/test_vault.h"

namespace vault::audit {
namespace {

using testing::MakeTestVault;
using testing::TestVault;

constexpr int64_t kStartMs = 1'750'000'000'000;

// An AuditLog over a fresh vault, with a clock that ticks 1 s per entry.
struct LogFixture {
  std::unique_ptr<TestVault> vault = MakeTestVault();
  int64_t now_ms = kStartMs;
  AuditLog log{vault->store(), vault->keys(), [this] { return now_ms += 1000; }};
};

Entry EntryNumbered(int i) {
  Entry e(AuditAction::kCustomerReveal);
  e.principal = "employee:alice";
  e.roles = "support";
  e.record_id = "cus_" + std::to_string(i);
  e.fields = "phone:plaintext";
  e.reason = "call back";
  e.detail = "n=" + std::to_string(i);
  e.request_id = "req-" + std::to_string(i);
  e.client = "127.0.0.1";
  return e;
}

std::vector<Receipt> RecordEntries(AuditLog& log, int n) {
  std::vector<Receipt> receipts;
  for (int i = 1; i <= n; ++i) {
    auto receipt = log.Record(EntryNumbered(i));
    EXPECT_TRUE(receipt.ok()) << receipt.status().ToString();
    if (receipt.ok()) receipts.push_back(*receipt);
  }
  return receipts;
}

std::vector<store::AuditRow> AllRows(store::Store& store) {
  std::vector<store::AuditRow> rows;
  Status st = store.Read([&](store::Database& db) {
    return store::ScanAudit(db, 0, [&](const store::AuditRow& row) {
      rows.push_back(row);
      return Status::Ok();
    });
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return rows;
}

// Runs raw SQL on the writer: how the tests below tamper with the file.
void Exec(store::Store& store, const std::string& sql) {
  Status st = store.Write([&](store::Database& db) { return db.Execute(sql); });
  ASSERT_TRUE(st.ok()) << sql << ": " << st.ToString();
}

// The chain rule of audit_log.h, written out independently: keyed
// BLAKE2b-256 over the previous MAC (32 zero bytes for the first) followed by
// the canonical entry.
std::string ExpectedMac(const crypto::SecretBytes& key, const std::string& prev,
                        const store::AuditRow& row) {
  std::string message = prev + Canonical(row);
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                     key.data(), key.size());
  return out;
}

TEST(AuditLogTest, EachEntryIsChainedToThePreviousOne) {
  LogFixture f;
  std::vector<Receipt> receipts = RecordEntries(f.log, 4);
  ASSERT_EQ(receipts.size(), 4u);
  std::vector<store::AuditRow> rows = AllRows(f.vault->store());
  ASSERT_EQ(rows.size(), 4u);

  auto ring = f.vault->keys().Get();
  std::string prev(32, '\0');
  for (size_t i = 0; i < rows.size(); ++i) {
    const store::AuditRow& row = rows[i];
    EXPECT_EQ(row.seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(row.time_ms, kStartMs + 1000 * static_cast<int64_t>(i + 1));
    EXPECT_EQ(row.record_id, "cus_" + std::to_string(i + 1));
    EXPECT_EQ(row.action, "customer.reveal");
    EXPECT_EQ(row.outcome, "success");
    const crypto::SecretBytes* key = ring->Find(row.key_id, crypto::KeyPurpose::kAudit);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(crypto::HexEncode(row.mac), crypto::HexEncode(ExpectedMac(*key, prev, row)))
        << "entry " << row.seq;
    // The receipt names exactly the stored entry.
    EXPECT_EQ(receipts[i].seq, row.seq);
    EXPECT_EQ(receipts[i].time_ms, row.time_ms);
    EXPECT_EQ(receipts[i].mac_hex, crypto::HexEncode(row.mac));
    prev = row.mac;
  }
  EXPECT_EQ(f.log.entries_written(), 4u);
  EXPECT_EQ(f.log.failures(), 0u);

  auto verify = f.log.Verify();
  ASSERT_TRUE(verify.ok()) << verify.status().ToString();
  EXPECT_TRUE(verify->intact) << verify->problem;
  EXPECT_EQ(verify->entries, 4);
}

// Append writes inside the caller's transaction: when the caller's write
// fails, its entry goes with it, and the chain stays whole.
TEST(AuditLogTest, AppendCommitsAndRollsBackWithTheCallersWrite) {
  LogFixture f;
  Status st = f.vault->store().Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(store::SetMeta(db, "test.change", "1"));
    ASSIGN_OR_RETURN(Receipt r, f.log.Append(db, EntryNumbered(1)));
    EXPECT_EQ(r.seq, 1);
    return Aborted("the caller gives up", "test_abort");
  });
  EXPECT_EQ(st.reason(), "test_abort");
  EXPECT_TRUE(AllRows(f.vault->store()).empty());

  st = f.vault->store().Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(store::SetMeta(db, "test.change", "2"));
    return f.log.Append(db, EntryNumbered(2)).status();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::vector<store::AuditRow> rows = AllRows(f.vault->store());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[0].record_id, "cus_2");
  auto verify = f.log.Verify();
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->intact) << verify->problem;
}

// Verify names the first entry that does not hold, not a later one and not
// only "broken": with entries 3 and 4 both altered, it names 3.
TEST(AuditLogTest, VerifyNamesTheFirstBrokenEntry) {
  LogFixture f;
  RecordEntries(f.log, 6);
  auto clean = f.log.Verify();
  ASSERT_TRUE(clean.ok());
  ASSERT_TRUE(clean->intact) << clean->problem;  // the control: untouched, it holds

  Exec(f.vault->store(), "UPDATE audit_log SET detail = 'n=9' WHERE seq = 4");
  Exec(f.vault->store(), "UPDATE audit_log SET outcome = 'denied' WHERE seq = 3");
  auto verify = f.log.Verify();
  ASSERT_TRUE(verify.ok()) << verify.status().ToString();
  EXPECT_FALSE(verify->intact);
  EXPECT_EQ(verify->first_broken_seq, 3);
  EXPECT_NE(verify->problem.find("MAC does not match"), std::string::npos) << verify->problem;
  EXPECT_EQ(verify->entries, 6);
}

TEST(AuditLogTest, VerifyNamesADeletedEntryAndACutOffEnd) {
  {
    LogFixture f;
    RecordEntries(f.log, 5);
    Exec(f.vault->store(), "DELETE FROM audit_log WHERE seq = 2");
    auto verify = f.log.Verify();
    ASSERT_TRUE(verify.ok());
    EXPECT_FALSE(verify->intact);
    EXPECT_EQ(verify->first_broken_seq, 2);
    EXPECT_NE(verify->problem.find("missing"), std::string::npos) << verify->problem;
  }
  {
    // The head remembers seq 5: cutting 4 and 5 off the end is caught at 4.
    LogFixture f;
    RecordEntries(f.log, 5);
    Exec(f.vault->store(), "DELETE FROM audit_log WHERE seq >= 4");
    auto verify = f.log.Verify();
    ASSERT_TRUE(verify.ok());
    EXPECT_FALSE(verify->intact);
    EXPECT_EQ(verify->first_broken_seq, 4);
    EXPECT_NE(verify->problem.find("removed from the end"), std::string::npos) << verify->problem;
  }
}

// A receipt holds only while the entry at its seq still has its MAC and time,
// and only for the action, record and principal that entry names.
TEST(AuditLogTest, CheckReceiptMatchesOnlyTheEntryItNames) {
  LogFixture f;
  std::vector<Receipt> receipts = RecordEntries(f.log, 3);
  ASSERT_EQ(receipts.size(), 3u);
  // Receipt k is for EntryNumbered(k + 1): "cus_<k + 1>" by alice.
  auto problem = [&](const Receipt& r, int numbered) {
    auto checked = f.log.CheckReceipt(r, AuditAction::kCustomerReveal,
                                      "cus_" + std::to_string(numbered), "employee:alice");
    EXPECT_TRUE(checked.ok()) << checked.status().ToString();
    return checked.ok() ? *checked : std::string("check failed");
  };
  for (size_t k = 0; k < receipts.size(); ++k) {
    EXPECT_EQ(problem(receipts[k], static_cast<int>(k) + 1), "") << "receipt " << receipts[k].seq;
  }

  Receipt other_mac = receipts[1];
  other_mac.mac_hex = receipts[2].mac_hex;
  Receipt other_time = receipts[1];
  other_time.time_ms += 1;
  Receipt other_seq = receipts[1];
  other_seq.seq = receipts[2].seq;
  Receipt no_entry = receipts[1];
  no_entry.seq = 99;
  for (const Receipt* r : {&other_mac, &other_time, &other_seq, &no_entry}) {
    EXPECT_NE(problem(*r, 2), "") << "seq " << r->seq << " time " << r->time_ms << " mac "
                                  << r->mac_hex;
  }
  // The right entry, but not the action, record or principal asked about.
  auto checked =
      f.log.CheckReceipt(receipts[1], AuditAction::kCustomerErase, "cus_2", "employee:alice");
  ASSERT_TRUE(checked.ok());
  EXPECT_NE(*checked, "");
  EXPECT_NE(problem(receipts[1], 3), "");
  checked = f.log.CheckReceipt(receipts[1], AuditAction::kCustomerReveal, "cus_2", "employee:bob");
  ASSERT_TRUE(checked.ok());
  EXPECT_NE(*checked, "");

  // An entry rewritten under its receipt no longer matches it.
  Exec(f.vault->store(), "UPDATE audit_log SET mac = zeroblob(32) WHERE seq = 2");
  EXPECT_NE(problem(receipts[1], 2), "");
  EXPECT_EQ(problem(receipts[0], 1), "");
}

// An entry that cannot be written fails the call with audit_unavailable (and
// nothing of the cause), takes the caller's change with it, and counts as a
// failure; once the cause is gone the chain goes on whole.
TEST(AuditLogTest, FailsClosedWhenTheEntryCannotBeWritten) {
  LogFixture f;
  RecordEntries(f.log, 2);
  Exec(f.vault->store(),
       "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log "
       "BEGIN SELECT RAISE(ABORT, 'audit disk gone'); END;");

  auto recorded = f.log.Record(EntryNumbered(3));
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(IsAuditUnavailable(recorded.status())) << recorded.status().ToString();
  EXPECT_EQ(recorded.status().message().find("audit disk gone"), std::string::npos)
      << recorded.status().message();

  Status st = f.vault->store().Write([&](store::Database& db) -> Status {
    RETURN_IF_ERROR(store::SetMeta(db, "test.change", "1"));
    return f.log.Append(db, EntryNumbered(4)).status();
  });
  EXPECT_TRUE(IsAuditUnavailable(st)) << st.ToString();
  Status read = f.vault->store().Read([](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto value, store::GetMeta(db, "test.change"));
    EXPECT_EQ(value, std::nullopt) << "the change committed without its entry";
    return Status::Ok();
  });
  ASSERT_TRUE(read.ok()) << read.ToString();
  EXPECT_EQ(f.log.failures(), 2u);
  EXPECT_EQ(f.log.entries_written(), 2u);
  EXPECT_EQ(AllRows(f.vault->store()).size(), 2u);

  Exec(f.vault->store(), "DROP TRIGGER audit_fail");
  auto after = f.log.Record(EntryNumbered(5));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->seq, 3);
  auto verify = f.log.Verify();
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->intact) << verify->problem;
  EXPECT_EQ(verify->entries, 3);
}

}  // namespace
}  // namespace vault::audit
