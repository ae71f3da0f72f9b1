// Files compiled into the binaries at build time (scripts/embed_resources.cmake):
// the numbered migrations of schema/, the shipped policy, and the staff web
// form of server/web/.
// Immutable after start-up; safe to read from any thread.
#pragma once

#include <string_view>
#include <vector>

namespace vault {

struct EmbeddedFile {
  const char* name;  // "V001__core.sql" or "/index.html"
  std::string_view contents;
};

// Migrations in ascending order of their V-number.
const std::vector<EmbeddedFile>& Migrations();
// config/policy.toml as shipped: the CLI's default when no policy file is
// named and none is found.
const EmbeddedFile& ShippedPolicy();
// The web form's files, keyed by URL path below server/web/.
const std::vector<EmbeddedFile>& WebFiles();

}  // namespace vault
