#include "support/test_vault.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vault::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cvtest.XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string SourceDir() {
  const char* v = std::getenv("VAULT_SOURCE_DIR");
  return v != nullptr && *v != '\0' ? v : VAULT_TEST_SOURCE_DIR;
}

std::string BinaryDir() {
  const char* v = std::getenv("VAULT_BINARY_DIR");
  return v != nullptr && *v != '\0' ? v : VAULT_TEST_BINARY_DIR;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void TestVault::Close() {
  customers.reset();
  open.keys.reset();
  open.store.reset();
}

void TestVault::Reopen() {
  Close();
  service::RootKeySource root;
  root.key_file = key_file;
  auto opened = service::OpenVaultAt(db_path, root);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.status().ToString();
    return;
  }
  open = std::move(opened).value();
  customers = std::make_unique<service::CustomerService>(*open.store, *open.keys,
                                                         service::CustomerServiceOptions{"CA"});
}

std::unique_ptr<TestVault> MakeTestVault() {
  auto v = std::make_unique<TestVault>();
  v->data_dir = v->dir.path() + "/data";
  v->db_path = service::DatabasePathIn(v->data_dir);
  v->key_file = v->data_dir + "/root.key";
  service::InitOptions init;
  init.data_dir = v->data_dir;
  init.root.key_file = v->key_file;
  Status st = service::InitVault(init);
  if (!st.ok()) {
    ADD_FAILURE() << st.ToString();
    return v;
  }
  v->Reopen();
  return v;
}

}  // namespace vault::testing
