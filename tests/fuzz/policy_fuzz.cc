// Fuzzes the policy file parser (policy/policy.h: Policy::Parse) with
// arbitrary text. Properties: no crash, no uncaught exception; a refusal is
// InvalidArgument "policy_invalid" whose message starts with the source name;
// an accepted policy has a role, every role name matches [a-z][a-z0-9_]*,
// every role has a level for every field, reveal and plaintext agree, and
// the queries (Allows, FieldLevel, limits) never grant more than a role says.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "policy/policy.h"

using vault::fuzz::Bytes;
namespace policy = vault::policy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = Bytes(data, size);
  auto parsed = policy::Policy::Parse(text, "fuzz.toml");
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == vault::StatusCode::kInvalidArgument, "400");
    FUZZ_CHECK(parsed.status().reason() == "policy_invalid", "refusal reason");
    FUZZ_CHECK(parsed.status().message().starts_with("fuzz.toml"), "names the file");
    return 0;
  }
  const policy::Policy& p = *parsed;
  std::vector<std::string> names = p.RoleNames();
  FUZZ_CHECK(!names.empty(), "a policy has a role");
  for (const std::string& name : names) {
    FUZZ_CHECK(!name.empty() && name[0] >= 'a' && name[0] <= 'z', "role name start");
    for (char c : name) {
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_', "role name");
    }
    const policy::RolePolicy* role = p.Role(name);
    FUZZ_CHECK(role != nullptr && p.HasRole(name), "a listed role is found");
    FUZZ_CHECK(role->fields.size() == policy::kAllFields.size(), "a level per field");
    FUZZ_CHECK(role->reveal_quota_per_hour >= 0 && role->lookups_per_minute >= 0,
               "limits are not negative");
    bool plaintext = false;
    std::vector<std::string> one{name};
    for (policy::Field f : policy::kAllFields) {
      policy::Level level = role->fields.at(f);
      plaintext = plaintext || level == policy::Level::kPlaintext;
      FUZZ_CHECK(p.FieldLevel(one, f) == level, "FieldLevel matches the role");
    }
    bool reveal = role->actions.count(policy::Action::kCustomerReveal) > 0;
    FUZZ_CHECK(reveal == plaintext, "reveal and plaintext fields agree");
    for (policy::Action a : policy::kAllActions) {
      FUZZ_CHECK(p.Allows(one, a) == (role->actions.count(a) > 0), "Allows matches");
    }
    FUZZ_CHECK(p.RevealQuotaPerHour(one) == role->reveal_quota_per_hour, "quota");
  }
  // Deny by default: unknown roles grant nothing.
  std::vector<std::string> unknown{"no_such_role_", ""};
  for (policy::Action a : policy::kAllActions) FUZZ_CHECK(!p.Allows(unknown, a), "deny");
  for (policy::Field f : policy::kAllFields) {
    FUZZ_CHECK(p.FieldLevel(unknown, f) == policy::Level::kNone, "deny fields");
  }
  FUZZ_CHECK(p.RevealQuotaPerHour(unknown) == 0, "no quota for unknown roles");
  return 0;
}
