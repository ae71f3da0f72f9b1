// Policy: which actions each role may perform and at what level it sees each
// PII field, loaded from config/policy.toml. Deny by default: an action or a
// field a role does not name is not granted, and an unknown role grants
// nothing. A principal holding several roles gets the union of their actions
// and, per field and per limit, the maximum over its roles. The file is
// validated strictly at load; every error names the file and line.
// A Policy is immutable after load: all const methods are safe to call
// concurrently from any number of threads.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vault::policy {

// How much of a field a role may see, in increasing order; compare with <.
enum class Level {
  kNone = 0,       // nothing, not even whether the field is set
  kMatch = 1,      // may test a given value against the stored one
  kMasked = 2,     // "j•••@e•••.com", "•••-•••-1234"
  kPlaintext = 3,  // only through an audited reveal with a reason
};

enum class Field { kEmail, kPhone, kName };

enum class Action {
  kCustomerCreate,
  kCustomerSearch,
  kCustomerVerify,
  kCustomerRead,
  kCustomerReveal,
  kCustomerUpdate,
  kCustomerErase,
  kCustomerExport,
  kConsentWrite,
  kMarketingExport,
  kAuditRead,
  kAdminEmployees,
  kAdminServiceAccounts,
  kAdminTokens,
  kAdminKeys,
};

inline constexpr std::array<Action, 15> kAllActions = {
    Action::kCustomerCreate,       Action::kCustomerSearch, Action::kCustomerVerify,
    Action::kCustomerRead,         Action::kCustomerReveal, Action::kCustomerUpdate,
    Action::kCustomerErase,        Action::kCustomerExport, Action::kConsentWrite,
    Action::kMarketingExport,      Action::kAuditRead,      Action::kAdminEmployees,
    Action::kAdminServiceAccounts, Action::kAdminTokens,    Action::kAdminKeys,
};

inline constexpr std::array<Field, 3> kAllFields = {Field::kEmail, Field::kPhone, Field::kName};

inline constexpr std::array<Level, 4> kAllLevels = {Level::kNone, Level::kMatch, Level::kMasked,
                                                    Level::kPlaintext};

// Names as written in policy.toml, the API and the audit log
// ("customer.reveal", "email", "masked"). Parse* return nullopt for an
// unknown name; matching is exact (case-sensitive).
std::string_view ActionName(Action action);
std::optional<Action> ParseAction(std::string_view name);
std::string_view FieldName(Field field);
std::optional<Field> ParseField(std::string_view name);
std::string_view LevelName(Level level);
std::optional<Level> ParseLevel(std::string_view name);

// One role as loaded. `fields` holds an entry for every Field; a field the
// file does not name is kNone.
struct RolePolicy {
  std::string name;
  std::set<Action> actions;
  std::map<Field, Level> fields;
  int reveal_quota_per_hour = 0;
  int lookups_per_minute = 0;
  std::string description;  // free text for humans; may be empty
};

class Policy {
 public:
  // Reads and validates a policy file. Returns NotFound (reason
  // "policy_unreadable") if the file cannot be read, otherwise as Parse.
  static StatusOr<Policy> LoadFile(const std::string& path);

  // Validates `toml_text`. On any problem returns InvalidArgument with reason
  // "policy_invalid" and a message "<source_name>:<line>: <what>". Rejected:
  // TOML syntax errors, a top-level key other than `roles`, an unknown key in
  // a role, an unknown action, field or level, a value of the wrong type, a
  // negative or absurdly large number, a duplicate action, a role name not
  // matching [a-z][a-z0-9_]*, a file with no roles, and a role whose
  // `customer.reveal` grant and plaintext fields disagree (reveal with no
  // plaintext field, or a plaintext field without reveal).
  static StatusOr<Policy> Parse(std::string_view toml_text, std::string_view source_name);

  bool HasRole(std::string_view role) const;
  // Returns nullptr for an unknown role. The pointer lives as long as *this.
  const RolePolicy* Role(std::string_view role) const;
  // Sorted.
  std::vector<std::string> RoleNames() const;

  // For a principal holding `roles`. Unknown role names contribute nothing.
  // True if any role grants `action`.
  bool Allows(std::span<const std::string> roles, Action action) const;
  // The highest level any role grants on `field`; kNone if none does.
  Level FieldLevel(std::span<const std::string> roles, Field field) const;
  // The highest limit over the roles; 0 if no known role.
  int RevealQuotaPerHour(std::span<const std::string> roles) const;
  int LookupsPerMinute(std::span<const std::string> roles) const;

 private:
  Policy() = default;

  // The largest `limit` over the known roles in `roles`; 0 if none.
  int MaxLimit(std::span<const std::string> roles, int RolePolicy::*limit) const;

  std::map<std::string, RolePolicy, std::less<>> roles_;
};

}  // namespace vault::policy
