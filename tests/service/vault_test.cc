#include "service/vault.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "crypto/root_key.h"
#include "service/customer_service.h"
#include "store/vault_tables.h"
#include "support/test_vault.h"

namespace vault::service {
namespace {

using ::testing::HasSubstr;
using vault::testing::MakeTestVault;
using vault::testing::ReadFileBytes;
using vault::testing::TempDir;

class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
  return st.st_mode & 0777;
}

RootKeySource KeyFile(const std::string& path) {
  RootKeySource root;
  root.key_file = path;
  return root;
}

crypto::Argon2Params FastArgon2() {
  crypto::Argon2Params params;
  params.ops_limit = crypto_pwhash_OPSLIMIT_MIN;
  params.mem_limit = crypto_pwhash_MEMLIMIT_MIN;
  return params;
}

RootKeySource Passphrase(const std::string& passphrase) {
  RootKeySource root;
  root.passphrase = passphrase;
  root.argon2 = FastArgon2();
  return root;
}

void ExpectRefused(const StatusOr<OpenVault>& opened, const std::string& reason) {
  ASSERT_FALSE(opened.ok()) << "expected " << reason;
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition) << opened.status().ToString();
  EXPECT_EQ(opened.status().reason(), reason) << opened.status().ToString();
  // One line, fit for the server's start-up message.
  EXPECT_EQ(opened.status().message().find('\n'), std::string::npos);
}

TEST(VaultTest, InitCreatesPrivateDirAndKeyFile) {
  ScopedUmask umask(0);  // the modes must come from the code
  TempDir tmp;
  InitOptions init;
  init.data_dir = tmp.path() + "/a/data";
  init.root.key_file = init.data_dir + "/root.key";
  Status st = InitVault(init);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ModeOf(init.data_dir), 0700u);
  EXPECT_EQ(ModeOf(init.root.key_file), 0600u);
  EXPECT_EQ(ModeOf(DatabasePathIn(init.data_dir)), 0600u);
  // The key file holds 64 hex digits and a newline, and loads.
  std::string text = ReadFileBytes(init.root.key_file);
  EXPECT_EQ(text.size(), 65u);
  EXPECT_TRUE(crypto::LoadRootKeyFile(init.root.key_file).ok());
  // The key is not in the database.
  EXPECT_FALSE(
      vault::testing::Contains(ReadFileBytes(DatabasePathIn(init.data_dir)), text.substr(0, 64)));

  auto opened = OpenVaultAt(DatabasePathIn(init.data_dir), init.root);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto ring = opened->keys->Get();
  for (crypto::KeyPurpose purpose : crypto::kAllPurposes) {
    EXPECT_NE(ring->Find(ring->ActiveId(purpose), purpose), nullptr);
  }
}

TEST(VaultTest, InitTightensAnExistingDirectory) {
  TempDir tmp;
  std::string dir = tmp.path() + "/data";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  InitOptions init;
  init.data_dir = dir;
  init.root.key_file = dir + "/root.key";
  ASSERT_TRUE(InitVault(init).ok());
  EXPECT_EQ(ModeOf(dir), 0700u);
}

TEST(VaultTest, InitRefusesToRunTwice) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  auto c = v->customers->Create(CustomerInput{"a@example.com", std::nullopt, std::nullopt});
  ASSERT_TRUE(c.ok());
  std::string key_before = ReadFileBytes(v->key_file);
  v->Close();

  InitOptions init;
  init.data_dir = v->data_dir;
  init.root.key_file = v->key_file;
  Status st = InitVault(init);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.reason(), "vault_exists");
  EXPECT_EQ(ReadFileBytes(v->key_file), key_before);

  // A key file alone (database gone) is not overwritten either.
  TempDir other;
  InitOptions fresh;
  fresh.data_dir = other.path() + "/data";
  fresh.root.key_file = v->key_file;
  st = InitVault(fresh);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFileBytes(v->key_file), key_before);

  // The vault is intact.
  v->Reopen();
  ASSERT_NE(v->customers, nullptr);
  auto got = v->customers->Get(c->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->email, "a@example.com");
}

// A container mounts the root key read-only: init wraps the keyring with it
// and writes no key file of its own.
TEST(VaultTest, InitWithAnExistingKeyFileUsesIt) {
  TempDir tmp;
  std::string key_file = tmp.path() + "/root_key";
  ASSERT_TRUE(crypto::WriteRootKeyFile(key_file, crypto::SecretBytes::Random(32)).ok());
  std::string before = ReadFileBytes(key_file);
  InitOptions init;
  init.data_dir = tmp.path() + "/data";
  init.root = KeyFile(key_file);
  init.existing_key_file = true;
  Status st = InitVault(init);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ReadFileBytes(key_file), before);
  EXPECT_NE(::access((init.data_dir + "/root.key").c_str(), F_OK), 0);
  EXPECT_TRUE(OpenVaultAt(DatabasePathIn(init.data_dir), KeyFile(key_file)).ok());
  // Another key does not open what it made.
  std::string other = tmp.path() + "/other_key";
  ASSERT_TRUE(crypto::WriteRootKeyFile(other, crypto::SecretBytes::Random(32)).ok());
  ExpectRefused(OpenVaultAt(DatabasePathIn(init.data_dir), KeyFile(other)), "root_key_mismatch");
}

TEST(VaultTest, InitWithAnExistingKeyFileRefusesABadOne) {
  TempDir tmp;
  std::string key_file = tmp.path() + "/root_key";
  ASSERT_TRUE(crypto::WriteRootKeyFile(key_file, crypto::SecretBytes::Random(32)).ok());
  ASSERT_EQ(::chmod(key_file.c_str(), 0644), 0);
  InitOptions init;
  init.data_dir = tmp.path() + "/data";
  init.root = KeyFile(key_file);
  init.existing_key_file = true;
  Status st = InitVault(init);
  EXPECT_EQ(st.reason(), "root_key_permissions") << st.ToString();
  EXPECT_NE(::access(DatabasePathIn(init.data_dir).c_str(), F_OK), 0);
  init.root = KeyFile(tmp.path() + "/absent_key");
  EXPECT_EQ(InitVault(init).reason(), "root_key_unreadable");
}

TEST(VaultTest, FailedInitLeavesNoHalfMadeVault) {
  TempDir tmp;
  InitOptions init;
  init.data_dir = tmp.path() + "/data";
  // The key file cannot be written: its directory does not exist.
  init.root.key_file = tmp.path() + "/missing-dir/root.key";
  Status st = InitVault(init);
  ASSERT_FALSE(st.ok());
  std::string db_path = DatabasePathIn(init.data_dir);
  // No database whose keyring no saved key can open.
  EXPECT_EQ(ModeOf(db_path), static_cast<mode_t>(-1));
  EXPECT_EQ(ModeOf(db_path + "-wal"), static_cast<mode_t>(-1));
  // So init can simply be run again with a usable key path.
  init.root.key_file = init.data_dir + "/root.key";
  st = InitVault(init);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(OpenVaultAt(db_path, init.root).ok());
}

TEST(VaultTest, WrongRootKeyIsRefused) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  v->Close();
  std::string other_key = v->dir.path() + "/other.key";
  ASSERT_TRUE(crypto::WriteRootKeyFile(other_key, crypto::SecretBytes::Random(32)).ok());
  ASSERT_EQ(ModeOf(other_key), 0600u);
  auto opened = OpenVaultAt(v->db_path, KeyFile(other_key));
  ExpectRefused(opened, "root_key_mismatch");
  EXPECT_THAT(opened.status().message(), HasSubstr("does not open"));
}

TEST(VaultTest, KeyFileReadableByOthersIsRefused) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  v->Close();
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(v->key_file.c_str(), mode), 0);
    auto opened = OpenVaultAt(v->db_path, KeyFile(v->key_file));
    ExpectRefused(opened, "root_key_permissions");
    EXPECT_THAT(opened.status().message(), HasSubstr("0600")) << std::oct << mode;
  }
  ASSERT_EQ(::chmod(v->key_file.c_str(), 0600), 0);
  EXPECT_TRUE(OpenVaultAt(v->db_path, KeyFile(v->key_file)).ok());
  // 0400 (read-only for the owner) is private too.
  ASSERT_EQ(::chmod(v->key_file.c_str(), 0400), 0);
  EXPECT_TRUE(OpenVaultAt(v->db_path, KeyFile(v->key_file)).ok());
}

TEST(VaultTest, MissingOrMalformedKeyIsRefused) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  v->Close();
  ExpectRefused(OpenVaultAt(v->db_path, KeyFile(v->dir.path() + "/absent.key")),
                "root_key_unreadable");
  ExpectRefused(OpenVaultAt(v->db_path, RootKeySource{}), "root_key_missing");

  std::string short_key = v->dir.path() + "/short.key";
  {
    std::FILE* f = std::fopen(short_key.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("abcdef\n", f);
    std::fclose(f);
  }
  ASSERT_EQ(::chmod(short_key.c_str(), 0600), 0);
  ExpectRefused(OpenVaultAt(v->db_path, KeyFile(short_key)), "root_key_malformed");
}

TEST(VaultTest, DataDirOrFileOpenToOthersIsRefused) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  v->Close();
  ASSERT_EQ(::chmod(v->data_dir.c_str(), 0755), 0);
  ExpectRefused(OpenVaultAt(v->db_path, KeyFile(v->key_file)), "permissions_too_open");
  ASSERT_EQ(::chmod(v->data_dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(v->db_path.c_str(), 0644), 0);
  ExpectRefused(OpenVaultAt(v->db_path, KeyFile(v->key_file)), "permissions_too_open");
  ASSERT_EQ(::chmod(v->db_path.c_str(), 0600), 0);
  EXPECT_TRUE(OpenVaultAt(v->db_path, KeyFile(v->key_file)).ok());
}

TEST(VaultTest, MissingDatabaseIsRefused) {
  TempDir tmp;
  auto opened = OpenVaultAt(tmp.path() + "/vault.db", KeyFile(tmp.path() + "/root.key"));
  ExpectRefused(opened, "vault_missing");
  EXPECT_THAT(opened.status().message(), HasSubstr("contact-vault init"));
  // Refusing does not create the file.
  EXPECT_EQ(ModeOf(tmp.path() + "/vault.db"), static_cast<mode_t>(-1));
}

TEST(VaultTest, SchemaNewerThanBinaryIsRefused) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  v->Close();
  {
    auto db = store::Database::Open(v->db_path, store::Database::Mode::kReadWrite);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Execute("PRAGMA user_version = " +
                              std::to_string(store::Store::LatestSchemaVersion() + 1))
                    .ok());
  }
  auto opened = OpenVaultAt(v->db_path, KeyFile(v->key_file));
  ExpectRefused(opened, "schema_too_new");
  EXPECT_THAT(opened.status().message(), HasSubstr("newer"));
}

TEST(VaultTest, KeyringSurvivesRestart) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  auto c = v->customers->Create(CustomerInput{"keep@example.com", "+1 514 555 0199", "Keeper"});
  ASSERT_TRUE(c.ok());
  std::vector<crypto::KeyRow> rows_before = v->keys().Get()->rows();
  v->Reopen();
  ASSERT_NE(v->customers, nullptr);
  auto got = v->customers->Get(c->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->email, "keep@example.com");
  EXPECT_EQ(got->phone, "+15145550199");
  EXPECT_EQ(got->name, "Keeper");
  auto found = v->customers->FindByEmail("keep@example.com");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, c->id);
  // The same keys, not fresh ones.
  const auto& rows_after = v->keys().Get()->rows();
  ASSERT_EQ(rows_after.size(), rows_before.size());
  for (size_t i = 0; i < rows_after.size(); ++i) {
    EXPECT_EQ(rows_after[i].id, rows_before[i].id);
    EXPECT_EQ(rows_after[i].wrapped, rows_before[i].wrapped);
  }
}

TEST(VaultTest, ReloadKeyringPicksUpNewRows) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  auto root = crypto::LoadRootKeyFile(v->key_file);
  ASSERT_TRUE(root.ok());
  size_t before = v->keys().Get()->rows().size();
  Status st = v->store().Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(uint32_t id, store::NextKeyId(db));
    return store::InsertKeyRow(db, crypto::Keyring::NewRow(*root, id, crypto::KeyPurpose::kData,
                                                           crypto::KeyState::kDecryptOnly, 0));
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(ReloadKeyring(v->store(), *root, v->keys()).ok());
  EXPECT_EQ(v->keys().Get()->rows().size(), before + 1);
}

TEST(VaultTest, PassphraseModeWorks) {
  TempDir tmp;
  InitOptions init;
  init.data_dir = tmp.path() + "/data";
  init.root = Passphrase("correct horse battery staple");
  init.root.key_file = init.data_dir + "/root.key";
  Status st = InitVault(init);
  ASSERT_TRUE(st.ok()) << st.ToString();
  // No key file is written in passphrase mode.
  EXPECT_EQ(ModeOf(init.root.key_file), static_cast<mode_t>(-1));
  std::string db_path = DatabasePathIn(init.data_dir);
  EXPECT_FALSE(vault::testing::Contains(ReadFileBytes(db_path), "correct horse"));

  std::string id;
  {
    auto opened = OpenVaultAt(db_path, Passphrase("correct horse battery staple"));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    CustomerService customers(*opened->store, *opened->keys, {"CA"});
    auto c = customers.Create(CustomerInput{"p@example.com", std::nullopt, std::nullopt});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    id = c->id;
  }
  {
    auto opened = OpenVaultAt(db_path, Passphrase("correct horse battery staple"));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    CustomerService customers(*opened->store, *opened->keys, {"CA"});
    auto got = customers.Get(id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->email, "p@example.com");
  }
  ExpectRefused(OpenVaultAt(db_path, Passphrase("correct horse battery stapler")),
                "root_key_mismatch");
  // Without the passphrase, there is no key file to fall back on.
  auto no_pass = OpenVaultAt(db_path, KeyFile(init.root.key_file));
  ASSERT_FALSE(no_pass.ok());
  EXPECT_EQ(no_pass.status().code(), StatusCode::kFailedPrecondition);
}

TEST(VaultTest, PassphraseOnAKeyFileVaultIsRefused) {
  auto v = MakeTestVault();
  ASSERT_NE(v->customers, nullptr);
  v->Close();
  ExpectRefused(OpenVaultAt(v->db_path, Passphrase("anything")), "root_key_mismatch");
}

}  // namespace
}  // namespace vault::service
