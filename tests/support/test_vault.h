// Test fixtures shared by unit and integration tests: a temporary directory
// that removes itself, and a freshly initialised vault inside it with a fixed
// root key. Never used by production code.
#pragma once

#include <memory>
#include <string>

#include "crypto/keyring.h"
#include "crypto/secret_bytes.h"
#include "service/customer_service.h"
#include "service/vault.h"
#include "store/store.h"

namespace vault::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The source and build directories: $VAULT_SOURCE_DIR / $VAULT_BINARY_DIR
// (set by `make test`), else the directories this test binary was built from.
std::string SourceDir();
std::string BinaryDir();

// Reads a whole file as bytes ("" if absent).
std::string ReadFileBytes(const std::string& path);
bool Contains(const std::string& haystack, const std::string& needle);

// An initialised vault in a temp dir: data_dir/vault.db, data_dir/root.key.
struct TestVault {
  TempDir dir;
  std::string data_dir;
  std::string db_path;
  std::string key_file;
  service::OpenVault open;
  std::unique_ptr<service::CustomerService> customers;

  store::Store& store() { return *open.store; }
  crypto::KeyringHolder& keys() { return *open.keys; }
  // Closes the store (flushes), so the raw file can be read or reopened.
  void Close();
  // Opens it again with the same root key.
  void Reopen();
};

std::unique_ptr<TestVault> MakeTestVault();

}  // namespace vault::testing
