// Principal: who is calling, as established by authentication. Employees come
// in through a web session or an API token; service accounts (point-of-sale
// terminals) through API tokens only. Plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vault::auth {

struct Principal {
  enum class Kind { kAnonymous, kEmployee, kService };
  Kind kind = Kind::kAnonymous;
  int64_t id = 0;
  std::string name;          // username or service account name
  std::string display_name;  // employees only
  std::vector<std::string> roles;
  std::string via;         // "session", "token:<id>"
  std::string csrf_token;  // session only: required on unsafe requests

  bool authenticated() const { return kind != Kind::kAnonymous; }
  // "employee:alice", "service:till-3", "anonymous": the audit's name for it.
  std::string Label() const;
  std::string RolesString() const;
};

// Splits "a,b" into roles (empty parts dropped) and joins them back.
std::vector<std::string> SplitRoles(std::string_view roles);
std::string JoinRoles(const std::vector<std::string>& roles);

}  // namespace vault::auth
