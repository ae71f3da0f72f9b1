#include "service/vault.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/clock.h"
#include "crypto/util.h"
#include "store/vault_tables.h"

namespace vault::service {
namespace {

constexpr char kKdfMetaKey[] = "root.argon2id";  // "ops:mem:salt_hex"

Status EnsurePrivateDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return FailedPrecondition("cannot create data directory " + dir + ": " + ec.message(),
                              "data_dir_unusable");
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return FailedPrecondition("cannot set data directory " + dir + " to mode 0700",
                              "data_dir_unusable");
  }
  return Status::Ok();
}

Status CheckPrivate(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Ok();
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition(
        std::string(what) + " " + path + " is open to group or others; run: chmod go-rwx " + path,
        "permissions_too_open");
  }
  return Status::Ok();
}

std::string ParentDir(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

std::string DatabasePathIn(const std::string& data_dir) { return data_dir + "/vault.db"; }

StatusOr<crypto::SecretBytes> LoadRootKey(store::Database& db, const RootKeySource& root) {
  if (root.passphrase) {
    ASSIGN_OR_RETURN(auto kdf, store::GetMeta(db, kKdfMetaKey));
    if (!kdf) {
      return FailedPrecondition(
          "this vault uses a root key file, not a passphrase; unset "
          "CONTACT_VAULT_PASSPHRASE",
          "root_key_mismatch");
    }
    crypto::Argon2Params params;
    char salt_hex[65] = {0};
    unsigned long long ops = 0, mem = 0;
    if (std::sscanf(kdf->c_str(), "%llu:%llu:%64s", &ops, &mem, salt_hex) != 3) {
      return DataLoss("the stored passphrase parameters are malformed", "keyring_corrupt");
    }
    params.ops_limit = ops;
    params.mem_limit = mem;
    std::string salt;
    if (!crypto::HexDecode(salt_hex, &salt)) {
      return DataLoss("the stored passphrase salt is malformed", "keyring_corrupt");
    }
    return crypto::DeriveRootKey(*root.passphrase, salt, params);
  }
  if (root.key_file.empty()) {
    return FailedPrecondition(
        "no root key: set keys.root_key_file or CONTACT_VAULT_PASSPHRASE "
        "(contact-vault init creates one)",
        "root_key_missing");
  }
  return crypto::LoadRootKeyFile(root.key_file);
}

Status InitVault(const InitOptions& options) {
  RETURN_IF_ERROR(EnsurePrivateDir(options.data_dir));
  std::string db_path = DatabasePathIn(options.data_dir);
  if (::access(db_path.c_str(), F_OK) == 0) {
    return FailedPrecondition("a vault exists already at " + db_path + "; init never overwrites it",
                              "vault_exists");
  }
  crypto::SecretBytes root;
  std::string kdf_meta;
  if (options.root.passphrase) {
    std::string salt = crypto::RandomBytes(crypto::kPassphraseSaltSize);
    ASSIGN_OR_RETURN(root,
                     crypto::DeriveRootKey(*options.root.passphrase, salt, options.root.argon2));
    kdf_meta = std::to_string(options.root.argon2.ops_limit) + ":" +
               std::to_string(options.root.argon2.mem_limit) + ":" + crypto::HexEncode(salt);
  } else if (options.existing_key_file) {
    ASSIGN_OR_RETURN(root, crypto::LoadRootKeyFile(options.root.key_file));
  } else {
    if (::access(options.root.key_file.c_str(), F_OK) == 0) {
      return FailedPrecondition("a root key file exists already at " + options.root.key_file +
                                    "; init never overwrites it",
                                "vault_exists");
    }
    root = crypto::SecretBytes::Random(crypto::kRootKeySize);
  }
  ASSIGN_OR_RETURN(auto db, store::Database::Open(db_path, store::Database::Mode::kReadWrite));
  Status st = [&]() -> Status {
    RETURN_IF_ERROR(store::ApplyMigrations(*db));
    {
      store::Transaction txn(*db);
      RETURN_IF_ERROR(txn.begin_status());
      int64_t now = SystemNowMillis() / 1000;
      uint32_t id = 1;
      for (crypto::KeyPurpose purpose : crypto::kAllPurposes) {
        RETURN_IF_ERROR(store::InsertKeyRow(
            *db, crypto::Keyring::NewRow(root, id++, purpose, crypto::KeyState::kActive, now)));
      }
      if (!kdf_meta.empty()) RETURN_IF_ERROR(store::SetMeta(*db, kKdfMetaKey, kdf_meta));
      RETURN_IF_ERROR(store::SetMeta(*db, "created_at", std::to_string(now)));
      RETURN_IF_ERROR(txn.Commit());
    }
    if (!options.root.passphrase && !options.existing_key_file) {
      RETURN_IF_ERROR(crypto::WriteRootKeyFile(options.root.key_file, root));
    }
    return Status::Ok();
  }();
  if (!st.ok()) {
    // Leave no half-made vault behind: a database whose keyring no saved key
    // opens would be useless, and would make the next init refuse to run.
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((db_path + suffix).c_str());
  }
  return st;
}

StatusOr<OpenVault> OpenVaultAt(const std::string& db_path, const RootKeySource& root,
                                store::StoreOptions options) {
  if (::access(db_path.c_str(), F_OK) != 0) {
    return FailedPrecondition("no vault at " + db_path +
                                  "; create one with: contact-vault init --data-dir " +
                                  ParentDir(db_path),
                              "vault_missing");
  }
  RETURN_IF_ERROR(CheckPrivate(ParentDir(db_path), "data directory"));
  RETURN_IF_ERROR(CheckPrivate(db_path, "database file"));
  options.path = db_path;
  OpenVault vault;
  ASSIGN_OR_RETURN(vault.store, store::Store::Open(options));
  std::shared_ptr<const crypto::Keyring> ring;
  RETURN_IF_ERROR(vault.store->Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(crypto::SecretBytes key, LoadRootKey(db, root));
    ASSIGN_OR_RETURN(auto rows, store::LoadKeyRows(db));
    ASSIGN_OR_RETURN(ring, crypto::Keyring::Open(key, std::move(rows)));
    vault.root = std::make_unique<crypto::SecretBytes>(std::move(key));
    return Status::Ok();
  }));
  vault.keys = std::make_unique<crypto::KeyringHolder>(std::move(ring));
  return vault;
}

Status ReloadKeyring(store::Store& store, const crypto::SecretBytes& root,
                     crypto::KeyringHolder& keys) {
  return store.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(auto rows, store::LoadKeyRows(db));
    ASSIGN_OR_RETURN(auto ring, crypto::Keyring::Open(root, std::move(rows)));
    keys.Set(std::move(ring));
    return Status::Ok();
  });
}

StatusOr<std::shared_ptr<const crypto::Keyring>> OpenKeyringOf(const std::string& path,
                                                               const RootKeySource& root) {
  ASSIGN_OR_RETURN(auto db, store::Database::Open(path, store::Database::Mode::kReadOnly));
  ASSIGN_OR_RETURN(crypto::SecretBytes key, LoadRootKey(*db, root));
  ASSIGN_OR_RETURN(auto rows, store::LoadKeyRows(*db));
  return crypto::Keyring::Open(key, std::move(rows));
}

Status RekeyRoot(const std::string& db_path, const RootKeySource& old_root,
                 const RootKeySource& new_root) {
  ASSIGN_OR_RETURN(auto db, store::Database::Open(db_path, store::Database::Mode::kReadWrite));
  ASSIGN_OR_RETURN(crypto::SecretBytes old_key, LoadRootKey(*db, old_root));
  crypto::SecretBytes new_key;
  std::string kdf_meta;
  std::string staged;
  if (new_root.passphrase) {
    std::string salt = crypto::RandomBytes(crypto::kPassphraseSaltSize);
    ASSIGN_OR_RETURN(new_key, crypto::DeriveRootKey(*new_root.passphrase, salt, new_root.argon2));
    kdf_meta = std::to_string(new_root.argon2.ops_limit) + ":" +
               std::to_string(new_root.argon2.mem_limit) + ":" + crypto::HexEncode(salt);
  } else {
    if (new_root.key_file.empty()) {
      return InvalidArgument("name the new root key file", "root_key_missing");
    }
    new_key = crypto::SecretBytes::Random(crypto::kRootKeySize);
    // Staged next to its final place; renamed over it only after the commit,
    // so a crash leaves either the old key working or the new one on disk.
    staged = new_root.key_file + ".new";
    ::unlink(staged.c_str());
    RETURN_IF_ERROR(crypto::WriteRootKeyFile(staged, new_key));
  }
  Status st = [&]() -> Status {
    store::Transaction txn(*db);
    RETURN_IF_ERROR(txn.begin_status());
    ASSIGN_OR_RETURN(auto rows, store::LoadKeyRows(*db));
    // Opening proves the old key is right before anything is rewritten.
    ASSIGN_OR_RETURN(auto ring, crypto::Keyring::Open(old_key, rows));
    for (const auto& row : rows) {
      if (row.state == crypto::KeyState::kDestroyed) continue;
      ASSIGN_OR_RETURN(crypto::SecretBytes material,
                       crypto::UnwrapKeyMaterial(old_key, row.id, row.purpose, row.wrapped));
      RETURN_IF_ERROR(store::RewrapKeyRow(
          *db, row.id, crypto::WrapKeyMaterial(new_key, row.id, row.purpose, material)));
    }
    if (kdf_meta.empty()) {
      RETURN_IF_ERROR(store::DeleteMeta(*db, kKdfMetaKey));
    } else {
      RETURN_IF_ERROR(store::SetMeta(*db, kKdfMetaKey, kdf_meta));
    }
    return txn.Commit();
  }();
  if (!st.ok()) {
    if (!staged.empty()) ::unlink(staged.c_str());
    return st;
  }
  if (!staged.empty() && ::rename(staged.c_str(), new_root.key_file.c_str()) != 0) {
    return Unavailable("the keyring now opens with " + staged + " but it could not be renamed to " +
                           new_root.key_file + "; rename it by hand",
                       "root_key_write");
  }
  return Status::Ok();
}

Status BackupVault(const std::string& db_path, const std::string& dest) {
  if (::access(dest.c_str(), F_OK) == 0) {
    return FailedPrecondition(dest + " exists already; backups never overwrite", "backup_exists");
  }
  ASSIGN_OR_RETURN(auto src, store::Database::Open(db_path, store::Database::Mode::kReadOnly));
  store::Transaction snapshot(*src, store::Transaction::Kind::kDeferred);
  RETURN_IF_ERROR(snapshot.begin_status());
  Status st = store::CopyDatabase(*src, dest);
  if (!st.ok()) ::unlink(dest.c_str());
  return st;
}

Status RestoreVault(const std::string& backup, const std::string& db_path,
                    const RootKeySource& root) {
  auto ring = OpenKeyringOf(backup, root);
  if (!ring.ok()) {
    return FailedPrecondition(
        "this backup does not open with the configured root key (" + ring.status().message() +
            "); it was taken under another root key, and restoring it needs that key",
        "root_key_mismatch");
  }
  std::string staged = db_path + ".restoring";
  ::unlink(staged.c_str());
  {
    ASSIGN_OR_RETURN(auto src, store::Database::Open(backup, store::Database::Mode::kReadOnly));
    RETURN_IF_ERROR(store::CopyDatabase(*src, staged));
  }
  ::unlink((db_path + "-wal").c_str());
  ::unlink((db_path + "-shm").c_str());
  if (::rename(staged.c_str(), db_path.c_str()) != 0) {
    return Unavailable("cannot move the restored database into place", "restore_failed");
  }
  return Status::Ok();
}

}  // namespace vault::service
