// AuditedVault: what a service unit test starts from, a fresh test vault
// with the shipped policy (config/policy.toml) and an audit log over it, and
// a way to read back every entry the test caused. Never used by production
// code.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "auth/principal.h"
#include "policy/policy.h"
#include "store/audit_tables.h"
#include "support/test_vault.h"

namespace vault::testing {

struct AuditedVault {
  // Fails the current test if the shipped policy does not load.
  explicit AuditedVault(Clock clock = SystemClock());

  // Every audit entry, oldest first.
  std::vector<store::AuditRow> Entries();

  std::unique_ptr<TestVault> vault;
  std::optional<policy::Policy> policy;
  std::unique_ptr<audit::AuditLog> audit;
};

// An employee principal holding `role` (as AuthService would load it).
auth::Principal Employee(const std::string& name, const std::string& role);

// AuthService options with the cheapest Argon2id cost, for fast tests.
auth::AuthOptions FastAuthOptions();

}  // namespace vault::testing
