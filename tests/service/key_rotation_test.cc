// KeyRotator in-process: data and index rotation, checkpoints and resume,
// records written with a stale keyring, key destruction, and the root rekey
// (service/vault.cc) that completes the key story. The HTTP, CLI and
// crash-with-SIGKILL versions live in tests/integration/rotation_test.cc.
#include "service/key_rotation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "crypto/envelope.h"
#include "crypto/root_key.h"
#include "service/customer_service.h"
#include "service/vault.h"
#include "store/key_tables.h"
#include "store/vault_tables.h"
#include "support/test_vault.h"

namespace vault::service {
namespace {

using crypto::KeyPurpose;
using ::testing::HasSubstr;
using vault::testing::MakeTestVault;
using vault::testing::ReadFileBytes;
using vault::testing::TestVault;

constexpr char kKeyRowSql[] =
    "SELECT state, wrapped IS NULL, destroyed_at IS NOT NULL FROM keyring WHERE id = ?";
constexpr char kSetDekSql[] = "UPDATE customers SET dek = ?, dek_key_id = ? WHERE id = ?";
constexpr char kRunningJobSql[] =
    "SELECT id, done, total, cursor FROM rotation_jobs WHERE state = 'running'";

CustomerInput Person(int i, bool with_phone = true) {
  CustomerInput in;
  in.email = "rotate" + std::to_string(i) + "@example-shop.test";
  if (with_phone) {
    // 555-0100..0199 under ten area codes: 1,000 distinct fictional numbers.
    static constexpr const char* kAreaCodes[] = {"514", "438", "450", "416", "647",
                                                 "604", "778", "613", "403", "905"};
    in.phone =
        std::string("+1 ") + kAreaCodes[(i / 100) % 10] + " 555 0" + std::to_string(100 + i % 100);
  }
  in.name = "Quillon Rotor " + std::to_string(i);
  return in;
}

audit::Entry AdminEntry(audit::AuditAction action) {
  audit::Entry e(action);
  e.principal = "employee:root-admin";
  e.roles = "admin";
  return e;
}

RotationOptions Batches(int batch_size) {
  RotationOptions options;
  options.batch_size = batch_size;
  return options;
}

// Holds a job after its n-th batch until Open(), so a test acts while the
// job is certainly mid-way, however fast or slow the machine.
class JobGate {
 public:
  RotationOptions HoldAfter(int n, RotationOptions options) {
    options.after_batch = [this, n](int64_t) {
      std::unique_lock lock(mu_);
      if (++batches_ != n) return true;
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
      return true;
    };
    return options;
  }
  // Stops the job (as a shutdown would) after its n-th batch.
  RotationOptions StopAfter(int n, RotationOptions options) {
    options.after_batch = [this, n](int64_t) {
      std::lock_guard lock(mu_);
      return ++batches_ < n;
    };
    return options;
  }
  // True once the job is held (false after 30 s).
  bool WaitHeld() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return held_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int batches_ = 0;    // GUARDED_BY(mu_)
  bool held_ = false;  // GUARDED_BY(mu_)
  bool open_ = false;  // GUARDED_BY(mu_)
};

class KeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v_ = MakeTestVault();
    ASSERT_NE(v_->customers, nullptr);
    audit_ = std::make_unique<audit::AuditLog>(v_->store(), v_->keys());
  }

  void TearDown() override {
    gate_.Open();      // a test that failed while its job was held
    rotator_.reset();  // joins the job thread before the store closes
    audit_.reset();
  }

  JobGate gate_;

  KeyRotator& NewRotator(RotationOptions options = {}) {
    rotator_.reset();
    rotator_ =
        std::make_unique<KeyRotator>(v_->store(), v_->keys(), *v_->open.root, *audit_, options);
    return *rotator_;
  }

  // From a few threads, so group commit batches them.
  std::vector<Customer> CreatePeople(int n) {
    constexpr int kThreads = 16;
    std::vector<Customer> out(n);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < n; i += kThreads) {
          auto c = v_->customers->Create(Person(i, i < 1000));
          if (!c.ok()) {
            failures++;
            continue;
          }
          out[i] = *c;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    return out;
  }

  std::optional<store::CustomerRow> Row(const std::string& id) {
    std::optional<store::CustomerRow> row;
    Status st = v_->store().Read([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(row, store::FindCustomer(db, id));
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return row;
  }

  int64_t RecordsUsing(uint32_t key_id) {
    int64_t n = -1;
    Status st = v_->store().Read([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(n, store::RecordsUsingKey(db, key_id));
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return n;
  }

  struct JobRow {
    int64_t id = 0, done = 0, total = 0, cursor = 0;
  };
  std::optional<JobRow> RunningJob() {
    std::optional<JobRow> job;
    Status st = v_->store().Read([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(store::Statement q, db.Prepare(kRunningJobSql));
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (row) job = JobRow{q.ColumnInt(0), q.ColumnInt(1), q.ColumnInt(2), q.ColumnInt(3)};
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return job;
  }

  // state, wrapped IS NULL, destroyed_at set
  std::tuple<std::string, bool, bool> KeyRow(uint32_t id) {
    std::tuple<std::string, bool, bool> out;
    Status st = v_->store().Read([&](store::Database& db) -> Status {
      ASSIGN_OR_RETURN(store::Statement q, db.Prepare(kKeyRowSql));
      q.BindInt(1, id);
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return NotFound("no key row");
      out = {q.ColumnText(0), q.ColumnInt(1) != 0, q.ColumnInt(2) != 0};
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  std::string WrappedMaterial(uint32_t id) {
    for (const auto& row : v_->keys().Get()->rows()) {
      if (row.id == id) return row.wrapped;
    }
    return "";
  }

  void ExpectEveryoneDecrypts(const std::vector<Customer>& people) {
    int failures = 0;
    for (const auto& c : people) {
      auto got = v_->customers->Get(c.id);
      if (!got.ok() || got->email != c.email || got->phone != c.phone || got->name != c.name) {
        if (++failures <= 3) {
          ADD_FAILURE() << c.id << ": " << (got.ok() ? "wrong plaintext" : got.status().ToString());
        }
      }
    }
    EXPECT_EQ(failures, 0);
  }

  void ExpectAuditIntact() {
    auto verified = audit_->Verify();
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_TRUE(verified->intact) << "broken at " << verified->first_broken_seq << ": "
                                  << verified->problem;
  }

  std::vector<std::string> AuditActions() {
    std::vector<std::string> actions;
    Status st = v_->store().Read([&](store::Database& db) -> Status {
      return store::ScanAudit(db, 0, [&](const store::AuditRow& row) -> Status {
        actions.push_back(row.action + " " + row.record_id);
        return Status::Ok();
      });
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return actions;
  }

  uint32_t Active(KeyPurpose purpose) { return v_->keys().Get()->ActiveId(purpose); }

  // The keyring as the database holds it now, as a separate object.
  std::shared_ptr<const crypto::Keyring> OwnCopyOfTheKeyring() {
    RootKeySource root;
    root.key_file = v_->key_file;
    auto ring = OpenKeyringOf(v_->db_path, root);
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return ring.ok() ? *ring : nullptr;
  }

  std::unique_ptr<TestVault> v_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<KeyRotator> rotator_;
};

TEST_F(KeyRotationTest, DataRotationRewrapsEveryDekAndLeavesFieldCiphertextsUntouched) {
  std::vector<Customer> people = CreatePeople(300);
  std::map<std::string, store::CustomerRow> before;
  for (const auto& c : people) before[c.id] = *Row(c.id);
  uint32_t old_kek = Active(KeyPurpose::kData);
  ASSERT_EQ(RecordsUsing(old_kek), 300);

  KeyRotator& rotator = NewRotator(Batches(64));
  auto started = rotator.Start(KeyPurpose::kData, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->state, "running");
  EXPECT_EQ(started->old_key_id, old_kek);
  EXPECT_EQ(started->total, 300);
  uint32_t new_kek = started->new_key_id;
  EXPECT_NE(new_kek, old_kek);
  // New writes use the new key from the moment Start returns.
  EXPECT_EQ(Active(KeyPurpose::kData), new_kek);
  rotator.WaitIdle();

  auto done = rotator.Progress();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->state, "done");
  EXPECT_EQ(done->done, 300);
  EXPECT_EQ(done->total, 300);
  EXPECT_TRUE(done->finished_at_ms.has_value());
  EXPECT_EQ(RecordsUsing(old_kek), 0);
  EXPECT_EQ(RecordsUsing(new_kek), 300);

  for (const auto& [id, old_row] : before) {
    auto row = Row(id);
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->dek_key_id, new_kek);
    EXPECT_NE(row->dek, old_row.dek);
    // Field ciphertexts and indexes are untouched by a data-key rotation.
    EXPECT_EQ(row->email_ct, old_row.email_ct);
    EXPECT_EQ(row->phone_ct, old_row.phone_ct);
    EXPECT_EQ(row->name_ct, old_row.name_ct);
    EXPECT_EQ(row->email_idx, old_row.email_idx);
  }
  // Old ciphertexts decrypt after rotation, through the new wrapping...
  ExpectEveryoneDecrypts(people);
  // ...and the old wrapping still opens while the old key is decrypt_only.
  auto ring = v_->keys().Get();
  const crypto::SecretBytes* old_key = ring->Find(old_kek, KeyPurpose::kData);
  ASSERT_NE(old_key, nullptr);
  const auto& first = before.begin()->second;
  EXPECT_TRUE(crypto::UnwrapDek(*old_key, old_kek, first.id, first.dek).ok());
  EXPECT_EQ(std::get<0>(KeyRow(old_kek)), "decrypt_only");

  // A record made after the rotation is under the new key.
  auto later = v_->customers->Create(Person(5000, false));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(Row(later->id)->dek_key_id, new_kek);

  auto actions = AuditActions();
  EXPECT_THAT(actions, ::testing::Contains("admin.keys.rotate key:" + std::to_string(new_kek)));
  EXPECT_THAT(actions,
              ::testing::Contains("keys.rotation.complete key:" + std::to_string(new_kek)));
  ExpectAuditIntact();
}

TEST_F(KeyRotationTest, IndexRotationKeepsEveryLookupWorkingDuringAndAfterTheJob) {
  std::vector<Customer> people = CreatePeople(240);
  // And some with a phone only (no email index at all).
  for (int i = 600; i < 620; ++i) {
    CustomerInput in = Person(i);
    in.email.reset();
    auto c = v_->customers->Create(in);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    people.push_back(*c);
  }
  uint32_t old_idx = Active(KeyPurpose::kIndex);
  // Small batches, the job held after its first until the lookups below
  // have run a round against it.
  KeyRotator& rotator = NewRotator(gate_.HoldAfter(1, Batches(16)));
  auto started =
      rotator.Start(KeyPurpose::kIndex, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_TRUE(gate_.WaitHeld());
  uint32_t new_idx = started->new_key_id;

  int misses = 0, rounds_while_running = 0;
  for (;;) {
    auto progress = rotator.Progress();
    ASSERT_TRUE(progress.ok());
    bool running = progress->state == "running";
    for (const auto& c : people) {
      bool found = true;
      if (c.email) {
        auto by_email = v_->customers->FindByEmail(*c.email, FieldSet::None());
        found = by_email.ok() && by_email->size() == 1 && (*by_email)[0].id == c.id;
      }
      if (c.phone) {
        auto by_phone = v_->customers->FindByPhone(*c.phone, FieldSet::None());
        found = found && by_phone.ok() && by_phone->size() == 1 && (*by_phone)[0].id == c.id;
        auto verified = v_->customers->Verify(c.id, ContactField::kPhone, *c.phone);
        found = found && verified.ok() && *verified;
      }
      if (!found) ++misses;
    }
    if (!running) break;
    ++rounds_while_running;
    gate_.Open();
  }
  rotator.WaitIdle();
  EXPECT_EQ(misses, 0);
  EXPECT_GT(rounds_while_running, 0) << "the lookups never overlapped the job";

  EXPECT_EQ(RecordsUsing(old_idx), 0);
  for (const auto& c : people) {
    auto row = Row(c.id);
    if (c.email) {
      EXPECT_EQ(row->email_idx_key_id, new_idx);
    }
    if (c.phone) {
      EXPECT_EQ(row->phone_idx_key_id, new_idx);
    }
  }
  // With the old index key destroyed, every lookup still finds its record.
  ASSERT_TRUE(rotator.Destroy(old_idx, AdminEntry(audit::AuditAction::kAdminKeysDestroy)).ok());
  for (const auto& c : people) {
    auto found = c.email ? v_->customers->FindByEmail(*c.email, FieldSet::None())
                         : v_->customers->FindByPhone(*c.phone, FieldSet::None());
    ASSERT_TRUE(found.ok() && found->size() == 1) << c.id;
    EXPECT_EQ((*found)[0].id, c.id);
  }
  // A duplicate email is still refused across the key change.
  auto dup = v_->customers->Create(Person(3));
  EXPECT_EQ(dup.status().reason(), "duplicate_email");
  ExpectAuditIntact();
}

TEST_F(KeyRotationTest, RecordWrittenWithAStaleKeyringIsPickedUpByTheJob) {
  CreatePeople(200);
  uint32_t old_kek = Active(KeyPurpose::kData);
  // A second service with a pre-rotation keyring of its own (not the live
  // snapshot, which the job waits for): it writes under the old key.
  crypto::KeyringHolder stale_keys(OwnCopyOfTheKeyring());
  CustomerService stale(v_->store(), stale_keys, {"CA"});

  KeyRotator& rotator = NewRotator(gate_.HoldAfter(1, Batches(20)));
  auto started = rotator.Start(KeyPurpose::kData, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_TRUE(gate_.WaitHeld());
  auto straggler = stale.Create(Person(7000, false));
  ASSERT_TRUE(straggler.ok()) << straggler.status().ToString();
  ASSERT_EQ(Row(straggler->id)->dek_key_id, old_kek) << "the test needs a stale write";
  ASSERT_EQ(rotator.Progress()->state, "running");
  gate_.Open();
  rotator.WaitIdle();

  EXPECT_EQ(RecordsUsing(old_kek), 0);
  EXPECT_EQ(Row(straggler->id)->dek_key_id, started->new_key_id);
  auto got = v_->customers->Get(straggler->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->name, straggler->name);
  auto done = rotator.Progress();
  EXPECT_EQ(done->done, 201);
  EXPECT_EQ(done->total, 201);
}

// A stale write behind the job's cursor (a row the pass already did) is
// caught by a second pass before the job calls itself done.
TEST_F(KeyRotationTest, StaleWriteBehindTheCursorGetsASecondPass) {
  std::vector<Customer> people = CreatePeople(200);
  uint32_t old_idx = Active(KeyPurpose::kIndex);
  crypto::KeyringHolder stale_keys(OwnCopyOfTheKeyring());
  CustomerService stale(v_->store(), stale_keys, {"CA"});
  KeyRotator& rotator = NewRotator(gate_.HoldAfter(5, Batches(10)));
  auto started =
      rotator.Start(KeyPurpose::kIndex, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_TRUE(gate_.WaitHeld());
  ASSERT_EQ(rotator.Progress()->done, 50);
  // people[0] is among the first rows written, long passed by now.
  CustomerPatch patch;
  patch.email = "moved0@example-shop.test";
  auto updated = stale.Update(people[0].id, patch);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  ASSERT_EQ(Row(people[0].id)->email_idx_key_id, old_idx) << "the test needs a stale write";
  ASSERT_EQ(rotator.Progress()->state, "running");
  gate_.Open();
  rotator.WaitIdle();

  EXPECT_EQ(RecordsUsing(old_idx), 0);
  EXPECT_EQ(Row(people[0].id)->email_idx_key_id, started->new_key_id);
  // The count depends on whether the stale write landed before or after the
  // pass's last batch read its rows; the row above is what must hold.
  auto done = rotator.Progress();
  EXPECT_GE(done->done, 200);
  EXPECT_EQ(done->done, done->total);
  ASSERT_TRUE(rotator.Destroy(old_idx, AdminEntry(audit::AuditAction::kAdminKeysDestroy)).ok());
  auto found = v_->customers->FindByEmail("moved0@example-shop.test", FieldSet::None());
  ASSERT_TRUE(found.ok() && found->size() == 1) << found.status().ToString();
  EXPECT_EQ((*found)[0].id, people[0].id);
}

// A request takes its keyring snapshot, then reads (a search computes its
// probes first). One that took it just before a rotation started must not
// meet records the job already moved to the new key: its probes would miss
// (index) or its decrypt fail (data). The job waits for such snapshots.
TEST_F(KeyRotationTest, RequestHoldingThePreRotationKeyringNeverMeetsMovedRecords) {
  std::vector<Customer> people = CreatePeople(100);
  for (KeyPurpose purpose : {KeyPurpose::kIndex, KeyPurpose::kData}) {
    SCOPED_TRACE(crypto::PurposeName(purpose));
    // The in-flight request: it holds the live snapshot itself.
    crypto::KeyringHolder in_flight(v_->keys().Get());
    CustomerService request(v_->store(), in_flight, {"CA"});
    KeyRotator& rotator = NewRotator(Batches(10));
    std::thread start([&] {
      auto started = rotator.Start(purpose, AdminEntry(audit::AuditAction::kAdminKeysRotate));
      EXPECT_TRUE(started.ok()) << started.status().ToString();
    });
    // The job row exists once Start committed it (the job then waits for
    // the snapshot): a slow machine may need a moment for that commit.
    auto seen_by = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!RunningJob() && std::chrono::steady_clock::now() < seen_by) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // Long enough for the whole job to run, were it not waiting.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
    int misses = 0, rounds = 0;
    while (std::chrono::steady_clock::now() < until) {
      const Customer& c = people[rounds++ % people.size()];
      auto found = request.FindByEmail(*c.email);
      if (!found.ok() || found->size() != 1 || (*found)[0].name != c.name) ++misses;
    }
    EXPECT_EQ(misses, 0) << "of " << rounds << " lookups";
    int64_t done_meanwhile = RunningJob() ? RunningJob()->done : -1;
    EXPECT_EQ(done_meanwhile, 0) << "the job moved records under a live older snapshot";
    // The request ends; the job runs.
    in_flight.Set(nullptr);
    start.join();
    rotator.WaitIdle();
    EXPECT_EQ(rotator.Progress()->done, 100);
  }
  ExpectEveryoneDecrypts(people);
}

TEST_F(KeyRotationTest, ResumesFromItsCheckpointAfterAStop) {
  std::vector<Customer> people = CreatePeople(300);
  uint32_t old_kek = Active(KeyPurpose::kData);
  int64_t job_id = 0;
  JobRow at_stop;
  {
    // Two checkpoints, then the job stops mid-way (as at a shutdown).
    KeyRotator& first = NewRotator(gate_.StopAfter(2, Batches(25)));
    auto started = first.Start(KeyPurpose::kData, AdminEntry(audit::AuditAction::kAdminKeysRotate));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    job_id = started->job_id;
    first.WaitIdle();
    rotator_.reset();
  }
  auto job = RunningJob();
  ASSERT_TRUE(job.has_value()) << "the job finished before the stop";
  at_stop = *job;
  EXPECT_EQ(at_stop.id, job_id);
  EXPECT_EQ(at_stop.done, 50);
  EXPECT_LT(at_stop.done, at_stop.total);
  EXPECT_GT(at_stop.cursor, 0);
  EXPECT_EQ(RecordsUsing(old_kek), at_stop.total - at_stop.done);

  // After the stop (a restart), the keyring comes back from the database.
  v_->Reopen();
  ASSERT_NE(v_->customers, nullptr);
  audit_ = std::make_unique<audit::AuditLog>(v_->store(), v_->keys());
  KeyRotator& second = NewRotator(Batches(25));
  ASSERT_TRUE(second.ResumePending().ok());
  second.WaitIdle();
  auto done = second.Progress();
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->job_id, job_id);
  EXPECT_EQ(done->state, "done");
  // Every record rewrapped exactly once: no batch was redone from the start.
  EXPECT_EQ(done->done, 300);
  EXPECT_EQ(done->total, 300);
  EXPECT_EQ(RecordsUsing(old_kek), 0);
  ExpectEveryoneDecrypts(people);
  ExpectAuditIntact();
}

TEST_F(KeyRotationTest, StartRefusesASecondJobAndTheAuditPurpose) {
  CreatePeople(60);
  KeyRotator& rotator = NewRotator(gate_.HoldAfter(1, Batches(5)));
  auto audit_rotation =
      rotator.Start(KeyPurpose::kAudit, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  EXPECT_EQ(audit_rotation.status().code(), StatusCode::kInvalidArgument);
  auto none = rotator.Progress();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->exists);

  auto first = rotator.Start(KeyPurpose::kData, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(gate_.WaitHeld());
  auto second = rotator.Start(KeyPurpose::kIndex, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  EXPECT_EQ(second.status().reason(), "rotation_running");
  // The refused start added no key.
  auto keys = rotator.ListKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 4u);  // data x2, index, audit

  auto running = rotator.Progress();
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state, "running");
  EXPECT_LE(running->done, running->total);
  gate_.Open();
  rotator.WaitIdle();
  auto done = rotator.Progress();
  EXPECT_EQ(done->state, "done");
  EXPECT_GT(done->rate_per_second, 0);
  EXPECT_EQ(done->eta_seconds, 0);
}

// The admin polls until "done" and starts the next job at once: the previous
// job's thread may not have finished leaving yet (a Start that joined it while
// holding the rotator's lock, which that thread needs to leave, hung here).
TEST_F(KeyRotationTest, ANewJobStartsTheMomentThePreviousOneReportsDone) {
  std::vector<Customer> people = CreatePeople(30);
  // Woken the moment each job is committed done, while its thread is still
  // on its way out: no polling of Progress().
  std::mutex mu;
  std::condition_variable cv;
  int jobs_done = 0;
  RotationOptions options = Batches(10);
  options.after_done = [&] {
    {
      std::lock_guard lock(mu);
      ++jobs_done;
    }
    cv.notify_all();
  };
  KeyRotator& rotator = NewRotator(options);
  for (int i = 0; i < 12; ++i) {
    KeyPurpose purpose = i % 2 == 0 ? KeyPurpose::kData : KeyPurpose::kIndex;
    auto started = rotator.Start(purpose, AdminEntry(audit::AuditAction::kAdminKeysRotate));
    ASSERT_TRUE(started.ok()) << i << ": " << started.status().ToString();
    {
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return jobs_done == i + 1; }))
          << "job " << i << " never finished";
    }
    ASSERT_EQ(rotator.Progress()->state, "done") << i;
  }
  rotator.WaitIdle();
  ExpectEveryoneDecrypts(people);
}

TEST_F(KeyRotationTest, DestroyRefusesWhileTheKeyIsActiveOrUsedThenShredsItsMaterial) {
  std::vector<Customer> people = CreatePeople(120);
  uint32_t old_kek = Active(KeyPurpose::kData);
  std::string old_wrapped_material = WrappedMaterial(old_kek);
  ASSERT_FALSE(old_wrapped_material.empty());
  store::CustomerRow old_row = *Row(people[0].id);
  KeyRotator& rotator = NewRotator(gate_.HoldAfter(1, Batches(10)));

  Status active = rotator.Destroy(old_kek, AdminEntry(audit::AuditAction::kAdminKeysDestroy));
  EXPECT_EQ(active.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(active.reason(), "key_in_use");
  EXPECT_THAT(active.message(), HasSubstr("active"));
  EXPECT_EQ(rotator.Destroy(999, AdminEntry(audit::AuditAction::kAdminKeysDestroy)).code(),
            StatusCode::kNotFound);

  crypto::KeyringHolder stale_keys(OwnCopyOfTheKeyring());
  CustomerService stale(v_->store(), stale_keys, {"CA"});
  auto started = rotator.Start(KeyPurpose::kData, AdminEntry(audit::AuditAction::kAdminKeysRotate));
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(gate_.WaitHeld());
  // Part of the running job: refused.
  Status during = rotator.Destroy(old_kek, AdminEntry(audit::AuditAction::kAdminKeysDestroy));
  EXPECT_EQ(during.reason(), "key_in_use");
  gate_.Open();
  rotator.WaitIdle();
  // A record that still uses the old key (written with a stale keyring after
  // the job ended): refused while it exists, naming the count.
  auto straggler = stale.Create(Person(9000, false));
  ASSERT_TRUE(straggler.ok());
  ASSERT_EQ(RecordsUsing(old_kek), 1);
  Status in_use = rotator.Destroy(old_kek, AdminEntry(audit::AuditAction::kAdminKeysDestroy));
  EXPECT_EQ(in_use.reason(), "key_in_use");
  EXPECT_THAT(in_use.message(), HasSubstr("1 records"));
  EXPECT_NE(v_->keys().Get()->Find(old_kek, KeyPurpose::kData), nullptr);
  ASSERT_TRUE(v_->customers->Erase(straggler->id).ok());

  ASSERT_TRUE(rotator.Destroy(old_kek, AdminEntry(audit::AuditAction::kAdminKeysDestroy)).ok());
  // The live keyring no longer has it, and its row keeps no material.
  EXPECT_EQ(v_->keys().Get()->Find(old_kek, KeyPurpose::kData), nullptr);
  auto [state, wrapped_null, destroyed_at] = KeyRow(old_kek);
  EXPECT_EQ(state, "destroyed");
  EXPECT_TRUE(wrapped_null);
  EXPECT_TRUE(destroyed_at);
  EXPECT_EQ(rotator.Destroy(old_kek, AdminEntry(audit::AuditAction::kAdminKeysDestroy)).reason(),
            "key_destroyed");
  EXPECT_THAT(AuditActions(),
              ::testing::Contains("admin.keys.destroy key:" + std::to_string(old_kek)));
  ExpectEveryoneDecrypts(people);

  // A DEK wrapped under the destroyed key no longer opens: put one back.
  Status tamper = v_->store().Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(store::Statement q, db.Prepare(kSetDekSql));
    return q.BindBlob(1, old_row.dek).BindInt(2, old_kek).BindText(3, old_row.id).Run();
  });
  ASSERT_TRUE(tamper.ok()) << tamper.ToString();
  auto unreadable = v_->customers->Get(old_row.id);
  EXPECT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.status().message(), "decryption failed");
  ExpectAuditIntact();

  // The wrapped material is gone from the file, not just unlinked; a
  // reopened vault does not know the key either.
  v_->Close();
  std::string bytes = ReadFileBytes(v_->db_path) + ReadFileBytes(v_->db_path + "-wal");
  ASSERT_TRUE(vault::testing::Contains(bytes, people[1].id));
  EXPECT_FALSE(vault::testing::Contains(bytes, old_wrapped_material))
      << "the destroyed key's wrapped material is still in the database file";
  v_->Reopen();
  ASSERT_NE(v_->customers, nullptr);
  EXPECT_EQ(v_->keys().Get()->Find(old_kek, KeyPurpose::kData), nullptr);
  EXPECT_TRUE(v_->customers->Get(people[1].id).ok());
}

// --- Root rekey (service/vault.cc) ---

TEST_F(KeyRotationTest, RekeyedRootOpensAndTheOldRootNoLonger) {
  std::vector<Customer> people = CreatePeople(50);
  std::vector<std::string> old_wrapped;
  for (const auto& row : v_->keys().Get()->rows()) old_wrapped.push_back(row.wrapped);
  v_->Close();

  RootKeySource old_root;
  old_root.key_file = v_->key_file;
  RootKeySource new_root;
  new_root.key_file = v_->dir.path() + "/new-root.key";
  // A wrong old key is refused and changes nothing.
  RootKeySource wrong;
  wrong.key_file = v_->dir.path() + "/wrong.key";
  ASSERT_TRUE(
      crypto::WriteRootKeyFile(wrong.key_file, crypto::SecretBytes::Random(crypto::kRootKeySize))
          .ok());
  Status refused = RekeyRoot(v_->db_path, wrong, new_root);
  EXPECT_EQ(refused.reason(), "root_key_mismatch") << refused.ToString();
  EXPECT_NE(::access(new_root.key_file.c_str(), F_OK), 0);
  EXPECT_NE(::access((new_root.key_file + ".new").c_str(), F_OK), 0);

  Status rekeyed = RekeyRoot(v_->db_path, old_root, new_root);
  ASSERT_TRUE(rekeyed.ok()) << rekeyed.ToString();

  auto with_old = OpenVaultAt(v_->db_path, old_root);
  ASSERT_FALSE(with_old.ok());
  EXPECT_EQ(with_old.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(with_old.status().reason(), "root_key_mismatch");
  EXPECT_FALSE(OpenKeyringOf(v_->db_path, old_root).ok());

  // The old wrappings are gone from the file: the old root key plus today's
  // database file must not give the keyring back.
  std::string bytes = ReadFileBytes(v_->db_path) + ReadFileBytes(v_->db_path + "-wal");
  for (const auto& w : old_wrapped) {
    EXPECT_FALSE(vault::testing::Contains(bytes, w)) << "an old-root wrapping survived";
  }

  v_->key_file = new_root.key_file;
  v_->Reopen();
  ASSERT_NE(v_->customers, nullptr);
  ExpectEveryoneDecrypts(people);
  // Rotation keeps working under the new root.
  audit_ = std::make_unique<audit::AuditLog>(v_->store(), v_->keys());
  KeyRotator& rotator = NewRotator();
  ASSERT_TRUE(
      rotator.Start(KeyPurpose::kData, AdminEntry(audit::AuditAction::kAdminKeysRotate)).ok());
  rotator.WaitIdle();
  ExpectEveryoneDecrypts(people);
  ExpectAuditIntact();
}

TEST_F(KeyRotationTest, RekeyKeepsDestroyedKeysDestroyedAndCanMoveToAPassphrase) {
  std::vector<Customer> people = CreatePeople(30);
  uint32_t old_kek = Active(KeyPurpose::kData);
  KeyRotator& rotator = NewRotator();
  ASSERT_TRUE(
      rotator.Start(KeyPurpose::kData, AdminEntry(audit::AuditAction::kAdminKeysRotate)).ok());
  rotator.WaitIdle();
  ASSERT_TRUE(rotator.Destroy(old_kek, AdminEntry(audit::AuditAction::kAdminKeysDestroy)).ok());
  rotator_.reset();
  v_->Close();

  RootKeySource old_root;
  old_root.key_file = v_->key_file;
  RootKeySource pass;
  pass.passphrase = "correct horse battery staple, rotated";
  pass.argon2.ops_limit = crypto_pwhash_OPSLIMIT_MIN;
  pass.argon2.mem_limit = crypto_pwhash_MEMLIMIT_MIN;
  ASSERT_TRUE(RekeyRoot(v_->db_path, old_root, pass).ok());
  EXPECT_EQ(OpenVaultAt(v_->db_path, old_root).status().reason(), "root_key_mismatch");
  RootKeySource wrong_pass = pass;
  wrong_pass.passphrase = "correct horse battery staple";
  EXPECT_EQ(OpenVaultAt(v_->db_path, wrong_pass).status().reason(), "root_key_mismatch");
  auto opened = OpenVaultAt(v_->db_path, pass);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto ring = opened->keys->Get();
  EXPECT_EQ(ring->Find(old_kek, KeyPurpose::kData), nullptr);
  CustomerService svc(*opened->store, *opened->keys, {"CA"});
  for (const auto& c : people) {
    auto got = svc.Get(c.id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->email, c.email);
  }
}

}  // namespace
}  // namespace vault::service
