// HealthService: what /readyz and /metrics ask of the vault, so that the HTTP
// layer reaches neither the store nor the audit log itself. Reveals nothing
// about any record. Thread-safe (Store and AuditLog are).
#pragma once

#include <cstdint>

#include "audit/audit_log.h"
#include "common/status.h"
#include "store/store.h"

namespace vault::service {

struct VaultStats {
  store::StoreStats store;
  uint64_t audit_entries_written = 0;
  uint64_t audit_failures = 0;
};

class HealthService {
 public:
  HealthService(store::Store& store, const audit::AuditLog& audit);

  // OK when the store answers a read; Unavailable("not_ready") otherwise.
  Status Ready() const;
  VaultStats Stats() const;

 private:
  store::Store& store_;
  const audit::AuditLog& audit_;
};

}  // namespace vault::service
