#include "common/reason.h"

#include <cstddef>

namespace vault {
namespace {

// Persisted in audit entries and published in schema/openapi.yaml: append,
// never rename.
constexpr std::array<std::string_view, kAllReasons.size()> kReasonNames = {
    "audit_unavailable",      "storage_full",       "forbidden",          "body_too_large",
    "unsupported_media_type", "too_many_headers",   "method_not_allowed", "idempotency_key_reused",
    "reveal_quota_exceeded",  "customer_not_found", "customer_kept",      "duplicate_email",
};

// The enum is dense and starts at 0, so a value indexes its name.
static_assert(static_cast<size_t>(Reason::kDuplicateEmail) + 1 == kAllReasons.size());

}  // namespace

std::string_view ReasonName(Reason reason) { return kReasonNames[static_cast<size_t>(reason)]; }

std::optional<Reason> ParseReason(std::string_view name) {
  for (size_t i = 0; i < kReasonNames.size(); ++i) {
    if (kReasonNames[i] == name) return static_cast<Reason>(i);
  }
  return std::nullopt;
}

}  // namespace vault
