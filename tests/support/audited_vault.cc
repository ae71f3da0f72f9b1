#include "support/audited_vault.h"

#include <gtest/gtest.h>
#include <sodium.h>

namespace vault::testing {

AuditedVault::AuditedVault(Clock clock) : vault(MakeTestVault()) {
  auto loaded = policy::Policy::LoadFile(SourceDir() + "/config/policy.toml");
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.status().ToString();
    return;
  }
  policy.emplace(std::move(loaded).value());
  audit = std::make_unique<audit::AuditLog>(vault->store(), vault->keys(), std::move(clock));
}

std::vector<store::AuditRow> AuditedVault::Entries() {
  std::vector<store::AuditRow> rows;
  store::AuditQuery q;
  q.limit = 1000;
  Status st = vault->store().Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(rows, store::QueryAudit(db, q));
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return rows;
}

auth::Principal Employee(const std::string& name, const std::string& role) {
  auth::Principal p;
  p.kind = auth::Principal::Kind::kEmployee;
  p.name = name;
  p.roles = {role};
  return p;
}

auth::AuthOptions FastAuthOptions() {
  auth::AuthOptions options;
  options.password_ops = crypto_pwhash_OPSLIMIT_MIN;
  options.password_mem = crypto_pwhash_MEMLIMIT_MIN;
  return options;
}

}  // namespace vault::testing
