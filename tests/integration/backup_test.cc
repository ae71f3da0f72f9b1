// Backups and the root key with the real binaries (contact-vault,
// contact-vault-server):
//  - a backup taken while the server runs, then data and index keys rotated
//    and destroyed and the root rekeyed with the old root key file deleted:
//    nothing the live system holds opens the backup (crypto-shredding);
//  - a backup restores with the same root (and restore refuses while the
//    server runs);
//  - rekey-root in place replaces the key file; the old key stops working.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "crypto/blind_index.h"
#include "crypto/envelope.h"
#include "crypto/root_key.h"
#include "service/customer_service.h"
#include "service/vault.h"
#include "store/vault_tables.h"
#include "support/child_process.h"
#include "support/real_vault.h"
#include "support/test_server.h"
#include "support/test_vault.h"

extern char** environ;

namespace vault {
namespace {

using crypto::KeyPurpose;
using testing::ChildProcess;
using testing::Json;
using testing::ReadFileBytes;
using testing::TempDir;
using SteadyClock = std::chrono::steady_clock;

std::string Email(int i) { return "backup" + std::to_string(i) + "@example-shop.test"; }
std::string Name(int i) { return "Bartholomew Shredwell " + std::to_string(i); }

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
  return st.st_mode & 0777;
}

service::RootKeySource KeyFile(const std::string& path) {
  service::RootKeySource root;
  root.key_file = path;
  return root;
}

// A customers row of a database file, read with SQL as an attacker would.
struct RawCustomer {
  std::string id, dek, email_idx;
  uint32_t dek_key_id = 0, email_idx_key_id = 0;
};

constexpr char kRawCustomersSql[] =
    "SELECT id, dek, dek_key_id, email_idx, email_idx_key_id FROM customers ORDER BY id";

std::vector<RawCustomer> RawCustomers(const std::string& path) {
  std::vector<RawCustomer> out;
  auto db = store::Database::Open(path, store::Database::Mode::kReadOnly);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return out;
  auto q = (*db)->Prepare(kRawCustomersSql);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  if (!q.ok()) return out;
  for (;;) {
    auto more = q->Step();
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    out.push_back(RawCustomer{q->ColumnText(0), q->ColumnBlob(1), q->ColumnBlob(3),
                              static_cast<uint32_t>(q->ColumnInt(2)),
                              static_cast<uint32_t>(q->ColumnInt(4))});
  }
  return out;
}

struct Attempts {
  int tried = 0;
  int deks_opened = 0;      // wrapped DEKs a data key unwrapped
  int indexes_matched = 0;  // blind indexes an index key reproduced
};

// Tries every usable data key of `ring` on every wrapped DEK in `rows`, both
// under the id the row names and under the key's own id; and every usable
// index key against every blind index, knowing the plaintext emails.
Attempts TryKeyring(const crypto::Keyring& ring, const std::vector<RawCustomer>& rows,
                    const std::map<std::string, int>& index_of) {
  Attempts a;
  for (uint32_t key_id : ring.UsableIds(KeyPurpose::kData)) {
    const crypto::SecretBytes* kek = ring.Find(key_id, KeyPurpose::kData);
    for (const auto& r : rows) {
      ++a.tried;
      if (crypto::UnwrapDek(*kek, r.dek_key_id, r.id, r.dek).ok()) {
        ++a.deks_opened;
      } else if (key_id != r.dek_key_id) {
        ++a.tried;
        if (crypto::UnwrapDek(*kek, key_id, r.id, r.dek).ok()) ++a.deks_opened;
      }
    }
  }
  for (uint32_t key_id : ring.UsableIds(KeyPurpose::kIndex)) {
    const crypto::SecretBytes* key = ring.Find(key_id, KeyPurpose::kIndex);
    for (const auto& r : rows) {
      auto it = index_of.find(r.id);
      if (it == index_of.end()) continue;
      ++a.tried;
      if (crypto::BlindIndex(*key, crypto::IndexKind::kEmail, Email(it->second)) == r.email_idx) {
        ++a.indexes_matched;
      }
    }
  }
  return a;
}

int64_t RecordsOf(const Json& keys, uint32_t id) {
  for (const auto& k : keys["keys"]) {
    if (k.value("id", 0u) == id) return k.value("records", int64_t{-1});
  }
  return -1;
}

std::string StateOf(const Json& keys, uint32_t id) {
  for (const auto& k : keys["keys"]) {
    if (k.value("id", 0u) == id) return k.value("state", "");
  }
  return "";
}

class BackupTest : public testing::RealVaultTest {
 protected:
  // Customers 0..n-1 made in-process while no server runs; ids by index.
  std::vector<std::string> SeedOffline(int n) {
    std::vector<std::string> ids;
    auto vault = service::OpenVaultAt(db_path_, KeyFile(key_file_));
    EXPECT_TRUE(vault.ok()) << vault.status().ToString();
    if (!vault.ok()) return ids;
    service::CustomerService customers(*vault->store, *vault->keys, {"CA"});
    for (int i = 0; i < n; ++i) {
      auto c = customers.Create({Email(i), std::nullopt, Name(i)});
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      ids.push_back(c.ok() ? c->id : "");
      index_of_[ids.back()] = i;
    }
    return ids;
  }

  // Every customer decrypts with `root`, and the audit chain holds.
  void ExpectLiveVaultReadable(const std::string& root_file, const std::vector<std::string>& ids) {
    auto vault = service::OpenVaultAt(db_path_, KeyFile(root_file));
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    service::CustomerService customers(*vault->store, *vault->keys, {"CA"});
    for (size_t i = 0; i < ids.size(); ++i) {
      auto c = customers.Get(ids[i]);
      ASSERT_TRUE(c.ok()) << ids[i] << ": " << c.status().ToString();
      EXPECT_EQ(c->email, Email(static_cast<int>(i)));
    }
    audit::AuditLog audit(*vault->store, *vault->keys);
    auto verified = audit.Verify();
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_TRUE(verified->intact) << verified->problem;
  }

  // Rotates `purpose` through the API and waits for the job; returns the
  // final progress.
  Json Rotate(const std::string& purpose) {
    auto started = client_->Post("/v1/admin/keys/rotate", admin_token_, {{"purpose", purpose}});
    EXPECT_EQ(started.status, 202) << started.text;
    Json progress = WaitForRotationDone();
    EXPECT_EQ(progress.value("state", ""), "done") << progress.dump();
    return progress;
  }

  std::map<std::string, int> index_of_;  // customer id -> seed index
};

TEST_F(BackupTest, OldBackupGoesDarkAfterKeysDestroyedAndRootRekeyed) {
  InitVault();
  std::vector<std::string> ids = SeedOffline(200);
  ASSERT_GT(StartServer(), 0);

  // An online backup while the server runs: ciphertext and the keyring
  // wrapped by today's root only.
  std::string backup = tmp_.path() + "/backup-old.db";
  std::string out;
  ASSERT_EQ(RunCli({"backup", backup, "--data-dir", data_dir_}, &out), 0) << out;
  EXPECT_EQ(ModeOf(backup), 0600u);
  std::string backup_bytes = ReadFileBytes(backup);
  for (int i : {0, 99, 199}) {
    EXPECT_FALSE(testing::Contains(backup_bytes, Email(i))) << "plaintext in the backup";
  }
  ASSERT_TRUE(service::OpenKeyringOf(backup, KeyFile(key_file_)).ok());
  std::vector<RawCustomer> backup_rows = RawCustomers(backup);
  ASSERT_EQ(backup_rows.size(), ids.size());

  Json data = Rotate("data");
  Json index = Rotate("index");
  uint32_t old_data = data.value("old_key_id", 0u), new_data = data.value("new_key_id", 0u);
  uint32_t old_index = index.value("old_key_id", 0u);

  // Control: while the old keys are only decrypt_only, the live keyring
  // still opens every DEK and matches every index in the backup.
  {
    auto live = service::OpenKeyringOf(db_path_, KeyFile(key_file_));
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    Attempts control = TryKeyring(**live, backup_rows, index_of_);
    EXPECT_EQ(control.deks_opened, static_cast<int>(backup_rows.size()));
    EXPECT_EQ(control.indexes_matched, static_cast<int>(backup_rows.size()));
  }

  // Destroying: refused for an active key, allowed once no record uses it.
  auto refused = client_->Post("/v1/admin/keys/" + std::to_string(new_data) + "/destroy",
                               admin_token_, Json::object());
  EXPECT_EQ(refused.status, 409) << refused.text;
  EXPECT_EQ(refused.Code(), "key_in_use");
  for (uint32_t id : {old_data, old_index}) {
    auto destroyed = client_->Post("/v1/admin/keys/" + std::to_string(id) + "/destroy",
                                   admin_token_, Json::object());
    EXPECT_EQ(destroyed.status, 204) << destroyed.text;
  }
  auto keys = client_->Get("/v1/admin/keys", admin_token_);
  ASSERT_EQ(keys.status, 200);
  EXPECT_EQ(StateOf(keys.body, old_data), "destroyed");
  EXPECT_EQ(StateOf(keys.body, old_index), "destroyed");
  EXPECT_EQ(RecordsOf(keys.body, new_data), static_cast<int64_t>(ids.size()));
  // Each destruction, and the refusal, is in the audit log.
  auto audited = client_->Get("/v1/audit?action=admin.keys.destroy", admin_token_);
  ASSERT_EQ(audited.status, 200) << audited.text;
  std::vector<std::string> destroyed_entries;
  for (const auto& e : audited.body["entries"]) {
    destroyed_entries.push_back(e.value("record_id", "") + " " + e.value("outcome", ""));
  }
  EXPECT_EQ(destroyed_entries.size(), 3u) << audited.text;
  for (uint32_t id : {old_data, old_index}) {
    EXPECT_NE(std::find(destroyed_entries.begin(), destroyed_entries.end(),
                        "key:" + std::to_string(id) + " success"),
              destroyed_entries.end())
        << audited.text;
  }

  // Offline commands refuse while the server holds the data directory.
  std::string new_root = tmp_.path() + "/keys/new-root.key";
  ASSERT_EQ(::mkdir((tmp_.path() + "/keys").c_str(), 0700), 0);
  EXPECT_NE(RunCli({"keys", "rekey-root", "--data-dir", data_dir_, "--new-root-key-file", new_root},
                   &out),
            0)
      << out;
  EXPECT_NE(out.find("is running"), std::string::npos) << out;
  EXPECT_NE(::access(new_root.c_str(), F_OK), 0) << "a refused rekey wrote a key";
  EXPECT_NE(RunCli({"restore", backup, "--data-dir", data_dir_}, &out), 0) << out;
  EXPECT_NE(out.find("is running"), std::string::npos) << out;
  StopServer();

  // Rekey the root, then destroy the old root key file.
  ASSERT_EQ(RunCli({"keys", "rekey-root", "--data-dir", data_dir_, "--new-root-key-file", new_root},
                   &out),
            0)
      << out;
  EXPECT_EQ(ModeOf(new_root), 0600u);
  ASSERT_EQ(::unlink(key_file_.c_str()), 0);

  // Nothing the live system holds opens the backup.
  auto with_new_root = service::OpenKeyringOf(backup, KeyFile(new_root));
  ASSERT_FALSE(with_new_root.ok());
  EXPECT_EQ(with_new_root.status().reason(), "root_key_mismatch")
      << with_new_root.status().ToString();
  EXPECT_FALSE(service::OpenKeyringOf(backup, KeyFile(key_file_)).ok());
  auto live = service::OpenKeyringOf(db_path_, KeyFile(new_root));
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  Attempts attack = TryKeyring(**live, backup_rows, index_of_);
  EXPECT_GT(attack.tried, 0);
  EXPECT_EQ(attack.deks_opened, 0) << "a live data key opened a DEK of the old backup";
  // With the index key rotated and destroyed too, the live system cannot
  // even test whether a known email is in the old backup.
  EXPECT_EQ(attack.indexes_matched, 0) << "a live index key matched the old backup";
  // And it cannot be restored with it.
  EXPECT_NE(RunCli({"restore", backup, "--data-dir", data_dir_, "--root-key-file", new_root}, &out),
            0)
      << out;
  EXPECT_NE(out.find("does not open"), std::string::npos) << out;

  // The live vault is untouched and works under the new root alone.
  ExpectLiveVaultReadable(new_root, ids);
}

TEST_F(BackupTest, BackupTakenWhileServingRestoresWithTheSameRoot) {
  InitVault();
  std::vector<std::string> ids = SeedOffline(150);
  ASSERT_GT(StartServer(), 0);

  // The backup is taken while requests keep the server busy.
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, failed{0};
  auto poller = client_.get();
  std::thread busy([&] {
    while (!stop) {
      auto r = poller->Get("/v1/admin/keys", admin_token_);
      (r.status == 200 ? served : failed)++;
    }
  });
  std::string backup = tmp_.path() + "/backup-same-root.db";
  std::string out;
  int code = RunCli({"backup", backup, "--data-dir", data_dir_}, &out);
  stop = true;
  busy.join();
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(failed.load(), 0);
  // A second backup to the same file never overwrites.
  EXPECT_NE(RunCli({"backup", backup, "--data-dir", data_dir_}, &out), 0) << out;

  // After the backup the live vault moves on: a data rotation adds a key.
  Json rotated = Rotate("data");
  uint32_t new_key = rotated.value("new_key_id", 0u);
  ASSERT_GT(new_key, 0u);
  EXPECT_NE(RunCli({"restore", backup, "--data-dir", data_dir_}, &out), 0) << out;
  StopServer();

  ASSERT_EQ(RunCli({"restore", backup, "--data-dir", data_dir_}, &out), 0) << out;
  EXPECT_EQ(ModeOf(db_path_), 0600u);
  // The restored vault is the backup's: no rotation key, every record reads.
  auto ring = service::OpenKeyringOf(db_path_, KeyFile(key_file_));
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ((*ring)->rows().size(), 3u);
  EXPECT_EQ((*ring)->Find(new_key, KeyPurpose::kData), nullptr);
  ExpectLiveVaultReadable(key_file_, ids);

  // And the server runs on it.
  ASSERT_GT(StartServer(), 0);
  auto keys = client_->Get("/v1/admin/keys", admin_token_);
  ASSERT_EQ(keys.status, 200) << keys.text;
  EXPECT_EQ(keys.body["keys"].size(), 3u);
  EXPECT_EQ(RecordsOf(keys.body, (*ring)->ActiveId(KeyPurpose::kData)),
            static_cast<int64_t>(ids.size()));
  auto progress = client_->Get("/v1/admin/keys/rotation", admin_token_);
  EXPECT_EQ(progress.body.value("state", ""), "none") << progress.text;
  StopServer();
}

TEST_F(BackupTest, RekeyRootInPlaceReplacesTheKeyFileAndTheOldKeyFails) {
  InitVault();
  std::vector<std::string> ids = SeedOffline(20);
  std::string old_copy = tmp_.path() + "/old-root.key";
  {
    std::ofstream out(old_copy);
    out << ReadFileBytes(key_file_);
  }
  ASSERT_EQ(::chmod(old_copy.c_str(), 0600), 0);
  ASSERT_TRUE(service::OpenKeyringOf(db_path_, KeyFile(old_copy)).ok());

  std::string out;
  ASSERT_EQ(RunCli({"keys", "rekey-root", "--data-dir", data_dir_}, &out), 0) << out;
  EXPECT_NE(ReadFileBytes(key_file_), ReadFileBytes(old_copy));
  EXPECT_EQ(ModeOf(key_file_), 0600u);
  EXPECT_NE(::access((key_file_ + ".new").c_str(), F_OK), 0);

  auto with_old = service::OpenVaultAt(db_path_, KeyFile(old_copy));
  ASSERT_FALSE(with_old.ok());
  EXPECT_EQ(with_old.status().reason(), "root_key_mismatch");
  ExpectLiveVaultReadable(key_file_, ids);
  // A second rekey needs the current key: with the old one it is refused.
  EXPECT_NE(RunCli({"keys", "rekey-root", "--data-dir", data_dir_, "--root-key-file", old_copy,
                    "--new-root-key-file", tmp_.path() + "/other.key"},
                   &out),
            0)
      << out;
  EXPECT_NE(::access((tmp_.path() + "/other.key").c_str(), F_OK), 0);
  EXPECT_NE(::access((tmp_.path() + "/other.key.new").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace vault
