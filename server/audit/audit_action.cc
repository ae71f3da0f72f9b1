#include "audit/audit_action.h"

#include <cstddef>

namespace vault::audit {
namespace {

// In enum order. Stored in every audit entry and chained into its MAC:
// append, never rename or reorder names that have shipped.
constexpr std::array<std::string_view, 34> kAuditActionNames = {
    "customer.create",
    "customer.search",
    "customer.verify",
    "customer.read",
    "customer.reveal",
    "customer.update",
    "customer.erase",
    "customer.export",
    "customer.find_or_create",
    "customer.batch",
    "customer.seen",
    "consent.write",
    "consent.read",
    "marketing.export",
    "retention.run",
    "audit.read",
    "audit.verify",
    "audit.receipt_verify",
    "auth.login",
    "auth.logout",
    "auth.me",
    "admin.employees.list",
    "admin.employees.create",
    "admin.employees.update",
    "admin.service_accounts.list",
    "admin.service_accounts.create",
    "admin.tokens.list",
    "admin.tokens.create",
    "admin.tokens.revoke",
    "admin.keys.list",
    "admin.keys.rotate",
    "admin.keys.rotation",
    "admin.keys.destroy",
    "keys.rotation.complete",
};

// The enum is dense and starts at 0, so a value indexes its name: one name
// per value, none missing.
static_assert(kAuditActionNames.size() == kAuditActionCount);

}  // namespace

std::string_view AuditActionName(AuditAction action) {
  return kAuditActionNames[static_cast<size_t>(action)];
}

std::optional<AuditAction> ParseAuditAction(std::string_view name) {
  for (size_t i = 0; i < kAuditActionNames.size(); ++i) {
    if (kAuditActionNames[i] == name) return static_cast<AuditAction>(i);
  }
  return std::nullopt;
}

}  // namespace vault::audit
