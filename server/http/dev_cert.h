// A self-signed TLS certificate for development and tests (ECDSA P-256, SAN
// localhost, 127.0.0.1 and ::1, valid 397 days). Production deployments bring
// their own certificate. Thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace vault::http {

// Writes cert_path (0644) and key_path (0600), creating their directory
// (0700). Leaves existing files alone and returns OK if both exist.
Status EnsureDevCertificate(const std::string& cert_path, const std::string& key_path);

}  // namespace vault::http
