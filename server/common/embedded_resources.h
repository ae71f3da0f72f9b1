// A file compiled into the binaries at build time (scripts/embed_resources.cmake).
// Each room that embeds files declares its own accessor and links the
// generated definitions: store/migrations.h (schema/V*.sql),
// policy/shipped_policy.h (config/policy.toml), http/web_files.h (server/web/).
// Immutable after start-up; safe to read from any thread.
#pragma once

#include <string_view>
#include <vector>

namespace vault {

struct EmbeddedFile {
  const char* name;  // "V001__core.sql" or "/index.html"
  std::string_view contents;
};

}  // namespace vault
