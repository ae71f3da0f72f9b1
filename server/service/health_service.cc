#include "service/health_service.h"

#include "store/vault_tables.h"

namespace vault::service {

HealthService::HealthService(store::Store& store, const audit::AuditLog& audit)
    : store_(store), audit_(audit) {}

Status HealthService::Ready() const {
  Status st =
      store_.Read([](store::Database& db) -> Status { return store::CountCustomers(db).status(); });
  if (!st.ok()) return Unavailable("storage is not ready", "not_ready");
  return Status::Ok();
}

VaultStats HealthService::Stats() const {
  VaultStats stats;
  stats.store = store_.Stats();
  stats.audit_entries_written = audit_.entries_written();
  stats.audit_failures = audit_.failures();
  return stats;
}

}  // namespace vault::service
