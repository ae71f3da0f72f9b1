// config/policy.toml as shipped, compiled into vault_policy at build time
// (scripts/embed_resources.cmake). Immutable; safe to read from any thread.
#pragma once

#include "common/embedded_resources.h"

namespace vault {

// The CLI's default when no policy file is named and none is found.
const EmbeddedFile& ShippedPolicy();

}  // namespace vault
