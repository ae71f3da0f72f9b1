// The numbered migrations of schema/ (V001__core.sql, ...), compiled into
// vault_store at build time (scripts/embed_resources.cmake). Only the store
// reads them. Immutable; safe to read from any thread.
#pragma once

#include <vector>

#include "common/embedded_resources.h"

namespace vault {

// Migrations in ascending order of their V-number.
const std::vector<EmbeddedFile>& Migrations();

}  // namespace vault
