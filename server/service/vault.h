// Creating and opening a vault's data directory: the 0700 directory, the root
// key (a 0600 key file, or a passphrase stretched with Argon2id whose salt is
// kept in the database), the database with its migrations, and the keyring
// (one active key per purpose, wrapped by the root key). Used by
// `contact-vault init` and by the server at start-up.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "crypto/keyring.h"
#include "crypto/root_key.h"
#include "store/store.h"

namespace vault::service {

// Where the root key comes from: a passphrase if set, else the key file.
struct RootKeySource {
  std::string key_file;
  std::optional<std::string> passphrase;
  crypto::Argon2Params argon2;  // used when a new passphrase vault is created
};

struct InitOptions {
  std::string data_dir;
  RootKeySource root;
  // Wrap the keyring with the key already in root.key_file (a secret mounted
  // read-only into a container) instead of creating that file.
  bool existing_key_file = false;
};

// Creates data_dir (0700), the root key file (unless a passphrase is used or
// existing_key_file is set), the database and the first key of each purpose.
// FailedPrecondition if a database is there already, if a key file is there
// already without existing_key_file, or if existing_key_file names a file
// LoadRootKeyFile refuses: init never overwrites.
Status InitVault(const InitOptions& options);

// The database file inside a data directory.
std::string DatabasePathIn(const std::string& data_dir);

struct OpenVault {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<crypto::KeyringHolder> keys;
  // Kept for adding keys (rotation); wraps new keyring rows.
  std::unique_ptr<crypto::SecretBytes> root;
};

// Opens the database at `db_path`, derives or loads the root key, and unwraps
// the keyring. FailedPrecondition with a one-line reason when the key is
// missing, readable by others, or does not open the keyring; when the
// directory or file is open to others; or when the schema is too new.
StatusOr<OpenVault> OpenVaultAt(const std::string& db_path, const RootKeySource& root,
                                store::StoreOptions options = {});

// Loads the root key named by `root` for the database in `db`.
StatusOr<crypto::SecretBytes> LoadRootKey(store::Database& db, const RootKeySource& root);

// Rewraps every keyring row under a new root key in one transaction: a new
// random key written to new_root.key_file (0600, replacing the old file when
// the paths are equal), or a passphrase (new salt) when new_root.passphrase
// is set. Afterwards the old root key no longer opens the database.
// REQUIRES: no server holds the data directory (the caller checks the lock).
Status RekeyRoot(const std::string& db_path, const RootKeySource& old_root,
                 const RootKeySource& new_root);

// Copies the live database to `dest` (0600) as one self-contained file
// (store::CopyDatabase); safe while the server runs. The copy holds only ciphertext and the keyring
// wrapped by today's root key.
Status BackupVault(const std::string& db_path, const std::string& dest);

// Replaces the database with `backup` after checking that `root` opens the
// backup's keyring. REQUIRES: no server holds the data directory.
Status RestoreVault(const std::string& backup, const std::string& db_path,
                    const RootKeySource& root);

// Opens the keyring of the database file at `path` with `root` without
// starting a store (checks backups). FailedPrecondition if it does not open.
StatusOr<std::shared_ptr<const crypto::Keyring>> OpenKeyringOf(const std::string& path,
                                                               const RootKeySource& root);

// Reloads the keyring rows from the database into `keys` (after a rotation).
Status ReloadKeyring(store::Store& store, const crypto::SecretBytes& root,
                     crypto::KeyringHolder& keys);

}  // namespace vault::service
