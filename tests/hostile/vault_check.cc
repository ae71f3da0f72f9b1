// vault_check: an offline consistency checker for a data directory, used by
// the crash loop (scripts/crash_loop.py) and the full-disk test. It opens the
// vault with its root key (beside a running server is fine: WAL), reads
// every customer row and decrypts every field through CustomerService, and
// compares the customers named on standard input ("id<TAB>email<TAB>phone<TAB>
// name" per line: what a client saw acknowledged) with what is stored.
// Prints one JSON object:
//   {"customers": N, "decrypted": N, "expected": N, "failures": [...],
//    "dek_key_ids": {"3": N, ...}, "active_data_key": 3,
//    "index_key_ids": {...}, "active_index_key": 4}
// Exit 0 when every row decrypts and every expected customer is there with
// the same values, 1 when not, 2 when the vault does not open. Never prints
// plaintext: a mismatch names the id and the field only.
#include <sodium.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "service/customer_service.h"
#include "service/vault.h"
#include "store/sqlite.h"

namespace {

using nlohmann::json;
namespace svc = vault::service;

constexpr char kRowsSql[] =
    "SELECT id, dek_key_id, email_idx_key_id, phone_idx_key_id FROM customers ORDER BY id";

struct RowKeys {
  std::string id;
  int64_t dek_key = 0, email_idx_key = 0, phone_idx_key = 0;
};

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string part;
  while (std::getline(in, part, '\t')) out.push_back(part);
  while (out.size() < 4) out.emplace_back();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  bool read_expected = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--data-dir" && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (arg == "--expect-stdin") {
      read_expected = true;
    } else {
      std::fprintf(stderr, "usage: vault_check --data-dir DIR [--expect-stdin]\n");
      return 2;
    }
  }
  if (data_dir.empty() || sodium_init() < 0) return 2;

  svc::RootKeySource root;
  root.key_file = data_dir + "/root.key";
  vault::store::StoreOptions options;
  options.readers = 1;
  auto vault = svc::OpenVaultAt(svc::DatabasePathIn(data_dir), root, options);
  if (!vault.ok()) {
    std::fprintf(stderr, "vault_check: %s\n", vault.status().ToString().c_str());
    return 2;
  }
  svc::CustomerService customers(*vault->store, *vault->keys, {});

  std::vector<RowKeys> rows;
  vault::Status st = vault->store->Read([&](vault::store::Database& db) -> vault::Status {
    ASSIGN_OR_RETURN(auto stmt, db.Prepare(kRowsSql));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return vault::Status::Ok();
      rows.push_back({stmt.ColumnText(0), stmt.ColumnInt(1), stmt.ColumnInt(2), stmt.ColumnInt(3)});
    }
  });
  if (!st.ok()) {
    std::fprintf(stderr, "vault_check: %s\n", st.ToString().c_str());
    return 2;
  }

  json failures = json::array();
  std::map<std::string, int64_t> dek_keys, index_keys;
  int64_t decrypted = 0;
  for (const RowKeys& r : rows) {
    ++dek_keys[std::to_string(r.dek_key)];
    if (r.email_idx_key != 0) ++index_keys[std::to_string(r.email_idx_key)];
    if (r.phone_idx_key != 0) ++index_keys[std::to_string(r.phone_idx_key)];
    auto c = customers.Get(r.id);
    if (!c.ok()) {
      failures.push_back(r.id + ": does not decrypt: " + c.status().ToString());
      continue;
    }
    ++decrypted;
  }

  int64_t expected = 0;
  if (read_expected) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.empty()) continue;
      auto f = SplitTabs(line);
      ++expected;
      auto c = customers.Get(f[0]);
      if (!c.ok()) {
        failures.push_back(f[0] + ": acknowledged but " + c.status().ToString());
        continue;
      }
      const std::pair<const char*, std::pair<std::string, std::optional<std::string>>> fields[] = {
          {"email", {f[1], c->email}}, {"phone", {f[2], c->phone}}, {"name", {f[3], c->name}}};
      for (const auto& [name, values] : fields) {
        if (values.first != values.second.value_or("")) {
          failures.push_back(f[0] + ": " + name + " differs from what was acknowledged");
        }
      }
    }
  }

  auto ring = vault->keys->Get();
  json out = {{"customers", rows.size()},
              {"decrypted", decrypted},
              {"expected", expected},
              {"failures", failures},
              {"dek_key_ids", dek_keys},
              {"active_data_key", ring->ActiveId(vault::crypto::KeyPurpose::kData)},
              {"index_key_ids", index_keys},
              {"active_index_key", ring->ActiveId(vault::crypto::KeyPurpose::kIndex)}};
  std::printf("%s\n", out.dump().c_str());
  return failures.empty() ? 0 : 1;
}
