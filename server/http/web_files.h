// The staff web form's static files (server/web/), compiled into vault_http
// at build time (scripts/embed_resources.cmake). Immutable; safe to read from
// any thread.
#pragma once

#include <vector>

#include "common/embedded_resources.h"

namespace vault {

// The web form's files, keyed by URL path below server/web/ ("/index.html").
const std::vector<EmbeddedFile>& WebFiles();

}  // namespace vault
