#include "policy/policy.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <fstream>
#include <sstream>
#include <utility>

namespace vault::policy {
namespace {

constexpr char kReasonInvalid[] = "policy_invalid";
constexpr char kReasonUnreadable[] = "policy_unreadable";

// Upper bound for quotas and rates: far above any real shop, low enough that a
// slipped key ("6000000") is caught and limiter arithmetic cannot overflow.
constexpr int64_t kMaxLimit = 1'000'000;

constexpr std::array<std::string_view, kAllActions.size()> kActionNames = {
    "customer.create",        "customer.search",  "customer.verify", "customer.read",
    "customer.reveal",        "customer.update",  "customer.erase",  "customer.export",
    "consent.write",          "marketing.export", "audit.read",      "admin.employees",
    "admin.service_accounts", "admin.tokens",     "admin.keys",
};
constexpr std::array<std::string_view, kAllFields.size()> kFieldNames = {"email", "phone", "name"};
constexpr std::array<std::string_view, kAllLevels.size()> kLevelNames = {"none", "match", "masked",
                                                                         "plaintext"};

// The enums are dense and start at 0, so a value indexes its name.
static_assert(static_cast<size_t>(Action::kAdminKeys) + 1 == kAllActions.size());
static_assert(static_cast<size_t>(Field::kName) + 1 == kAllFields.size());
static_assert(static_cast<size_t>(Level::kPlaintext) + 1 == kAllLevels.size());

template <typename Enum, size_t N>
std::optional<Enum> ParseName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      return static_cast<Enum>(i);
    }
  }
  return std::nullopt;
}

std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

// Reports "<source>:<line>: <what>" as the one error shape of this file.
class ErrorSink {
 public:
  explicit ErrorSink(std::string_view source) : source_(source) {}

  Status At(const toml::source_region& where, std::string_view what) const {
    return AtLine(where.begin.line, what);
  }
  Status AtLine(uint32_t line, std::string_view what) const {
    std::string msg(source_);
    msg += ':';
    msg += std::to_string(line == 0 ? 1 : line);
    msg += ": ";
    msg += what;
    return InvalidArgument(std::move(msg), kReasonInvalid);
  }

 private:
  std::string_view source_;
};

bool IsValidRoleName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Reads a non-negative integer limit into *out.
Status ParseLimit(const ErrorSink& err, const toml::key& key, const toml::node& node,
                  std::string_view role, int* out) {
  const auto* value = node.as_integer();
  if (value == nullptr) {
    return err.At(node.source(), Quoted(key.str()) + " must be an integer in role " + Quoted(role));
  }
  const int64_t n = value->get();
  if (n < 0) {
    return err.At(node.source(),
                  Quoted(key.str()) + " must not be negative in role " + Quoted(role));
  }
  if (n > kMaxLimit) {
    return err.At(node.source(), Quoted(key.str()) + " must be at most " +
                                     std::to_string(kMaxLimit) + " in role " + Quoted(role));
  }
  *out = static_cast<int>(n);
  return Status::Ok();
}

Status ParseActions(const ErrorSink& err, const toml::node& node, std::string_view role,
                    std::set<Action>* out) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    return err.At(node.source(), "\"actions\" must be an array of strings in role " + Quoted(role));
  }
  for (const toml::node& element : *array) {
    const auto* name = element.as_string();
    if (name == nullptr) {
      return err.At(element.source(),
                    "\"actions\" must be an array of strings in role " + Quoted(role));
    }
    const std::optional<Action> action = ParseAction(name->get());
    if (!action.has_value()) {
      return err.At(element.source(),
                    "unknown action " + Quoted(name->get()) + " in role " + Quoted(role));
    }
    if (!out->insert(*action).second) {
      return err.At(element.source(),
                    "duplicate action " + Quoted(name->get()) + " in role " + Quoted(role));
    }
  }
  return Status::Ok();
}

Status ParseFields(const ErrorSink& err, const toml::node& node, std::string_view role,
                   std::map<Field, Level>* out) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return err.At(node.source(), "\"fields\" must be a table in role " + Quoted(role));
  }
  for (const auto& [key, value] : *table) {
    const std::optional<Field> field = ParseField(key.str());
    if (!field.has_value()) {
      return err.At(key.source(),
                    "unknown field " + Quoted(key.str()) + " in role " + Quoted(role));
    }
    const auto* level_name = value.as_string();
    if (level_name == nullptr) {
      return err.At(value.source(), "field " + Quoted(key.str()) +
                                        " must be a level string in role " + Quoted(role));
    }
    const std::optional<Level> level = ParseLevel(level_name->get());
    if (!level.has_value()) {
      return err.At(value.source(), "unknown level " + Quoted(level_name->get()) + " for field " +
                                        Quoted(key.str()) + " in role " + Quoted(role));
    }
    (*out)[*field] = *level;
  }
  return Status::Ok();
}

// Cross-field rules: what a role grants must be usable and nothing more.
Status CheckConsistency(const ErrorSink& err, const toml::table& table, const RolePolicy& role) {
  const bool reveals = role.actions.contains(Action::kCustomerReveal);
  bool any_plaintext = false;
  for (const auto& [field, level] : role.fields) {
    if (level != Level::kPlaintext) {
      continue;
    }
    any_plaintext = true;
    if (!reveals) {
      // Point at the offending field's value.
      const toml::node* node = table.at_path("fields")[FieldName(field)].node();
      return err.At(node != nullptr ? node->source() : table.source(),
                    "field " + Quoted(FieldName(field)) + " is plaintext but role " +
                        Quoted(role.name) + " lacks \"customer.reveal\"");
    }
  }
  if (reveals && !any_plaintext) {
    return err.At(table.source(), "role " + Quoted(role.name) +
                                      " grants \"customer.reveal\" but no field "
                                      "is plaintext");
  }
  if (reveals && role.reveal_quota_per_hour == 0) {
    return err.At(table.source(), "role " + Quoted(role.name) +
                                      " grants \"customer.reveal\" but "
                                      "reveal_quota_per_hour is 0");
  }
  for (Action lookup : {Action::kCustomerSearch, Action::kCustomerVerify}) {
    if (role.actions.contains(lookup) && role.lookups_per_minute == 0) {
      return err.At(table.source(), "role " + Quoted(role.name) + " grants " +
                                        Quoted(ActionName(lookup)) +
                                        " but lookups_per_minute is 0");
    }
  }
  return Status::Ok();
}

StatusOr<RolePolicy> ParseRole(const ErrorSink& err, const toml::key& name,
                               const toml::node& node) {
  if (!IsValidRoleName(name.str())) {
    return err.At(name.source(), "invalid role name " + Quoted(name.str()) +
                                     " (want [a-z][a-z0-9_]*, at most 64)");
  }
  const auto* table = node.as_table();
  if (table == nullptr) {
    return err.At(node.source(), "role " + Quoted(name.str()) + " must be a table");
  }
  RolePolicy role;
  role.name = std::string(name.str());
  for (Field field : kAllFields) {
    role.fields[field] = Level::kNone;
  }
  for (const auto& [key, value] : *table) {
    const std::string_view k = key.str();
    if (k == "description") {
      const auto* text = value.as_string();
      if (text == nullptr) {
        return err.At(value.source(),
                      "\"description\" must be a string in role " + Quoted(role.name));
      }
      role.description = text->get();
    } else if (k == "actions") {
      RETURN_IF_ERROR(ParseActions(err, value, role.name, &role.actions));
    } else if (k == "fields") {
      RETURN_IF_ERROR(ParseFields(err, value, role.name, &role.fields));
    } else if (k == "reveal_quota_per_hour") {
      RETURN_IF_ERROR(ParseLimit(err, key, value, role.name, &role.reveal_quota_per_hour));
    } else if (k == "lookups_per_minute") {
      RETURN_IF_ERROR(ParseLimit(err, key, value, role.name, &role.lookups_per_minute));
    } else {
      return err.At(key.source(), "unknown key " + Quoted(k) + " in role " + Quoted(role.name));
    }
  }
  RETURN_IF_ERROR(CheckConsistency(err, *table, role));
  return role;
}

}  // namespace

std::string_view ActionName(Action action) { return kActionNames[static_cast<size_t>(action)]; }
std::optional<Action> ParseAction(std::string_view name) {
  return ParseName<Action>(kActionNames, name);
}
std::string_view FieldName(Field field) { return kFieldNames[static_cast<size_t>(field)]; }
std::optional<Field> ParseField(std::string_view name) {
  return ParseName<Field>(kFieldNames, name);
}
std::string_view LevelName(Level level) { return kLevelNames[static_cast<size_t>(level)]; }
std::optional<Level> ParseLevel(std::string_view name) {
  return ParseName<Level>(kLevelNames, name);
}

StatusOr<Policy> Policy::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound("cannot read policy file " + path, kReasonUnreadable);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return NotFound("cannot read policy file " + path, kReasonUnreadable);
  }
  return Parse(text.str(), path);
}

StatusOr<Policy> Policy::Parse(std::string_view toml_text, std::string_view source_name) {
  const ErrorSink err(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return err.At(e.source(), e.description());
  } catch (const std::exception& e) {
    return err.AtLine(1, std::string("cannot parse: ") + e.what());
  }

  Policy policy;
  const toml::node* roles_node = nullptr;
  for (const auto& [key, value] : root) {
    if (key.str() != "roles") {
      return err.At(key.source(),
                    "unknown top-level key " + Quoted(key.str()) + " (expected only \"roles\")");
    }
    roles_node = &value;
  }
  if (roles_node == nullptr) {
    return err.AtLine(1, "no [roles.<name>] tables: the policy grants nothing");
  }
  const auto* roles = roles_node->as_table();
  if (roles == nullptr) {
    return err.At(roles_node->source(), "\"roles\" must be a table");
  }
  for (const auto& [name, value] : *roles) {
    ASSIGN_OR_RETURN(RolePolicy role, ParseRole(err, name, value));
    policy.roles_.emplace(role.name, std::move(role));
  }
  if (policy.roles_.empty()) {
    return err.At(roles->source(), "\"roles\" is empty: the policy grants nothing");
  }
  return policy;
}

bool Policy::HasRole(std::string_view role) const { return roles_.contains(role); }

const RolePolicy* Policy::Role(std::string_view role) const {
  const auto it = roles_.find(role);
  return it == roles_.end() ? nullptr : &it->second;
}

std::vector<std::string> Policy::RoleNames() const {
  std::vector<std::string> names;
  names.reserve(roles_.size());
  for (const auto& [name, role] : roles_) {
    names.push_back(name);
  }
  return names;
}

bool Policy::Allows(std::span<const std::string> roles, Action action) const {
  return std::any_of(roles.begin(), roles.end(), [&](const std::string& name) {
    const RolePolicy* role = Role(name);
    return role != nullptr && role->actions.contains(action);
  });
}

Level Policy::FieldLevel(std::span<const std::string> roles, Field field) const {
  Level best = Level::kNone;
  for (const std::string& name : roles) {
    const RolePolicy* role = Role(name);
    if (role == nullptr) {
      continue;
    }
    const auto it = role->fields.find(field);
    if (it != role->fields.end()) {
      best = std::max(best, it->second);
    }
  }
  return best;
}

int Policy::RevealQuotaPerHour(std::span<const std::string> roles) const {
  return MaxLimit(roles, &RolePolicy::reveal_quota_per_hour);
}

int Policy::LookupsPerMinute(std::span<const std::string> roles) const {
  return MaxLimit(roles, &RolePolicy::lookups_per_minute);
}

int Policy::MaxLimit(std::span<const std::string> roles, int RolePolicy::*limit) const {
  int best = 0;
  for (const std::string& name : roles) {
    if (const RolePolicy* role = Role(name); role != nullptr) {
      best = std::max(best, role->*limit);
    }
  }
  return best;
}

}  // namespace vault::policy
