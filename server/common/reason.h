// Reason: the machine-readable reasons that code branches on, named once.
// A Status carries a stable snake_case reason ("email_invalid") that
// clients may switch on (it is in the OpenAPI contract and in stored audit
// entries, so a name never changes). The reasons server code itself tests
// are an enum with one name table (reason.cc), so a misspelt reason fails to
// compile; compare with Status::Is or a predicate below, never by string.
// Reasons nothing branches on may stay plain strings at their one producer.
// Thread-safe: constant data only.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace vault {

enum class Reason {
  kAuditUnavailable,      // the audit entry cannot be written: fail closed
  kStorageFull,           // the disk is full
  kForbidden,             // the principal's roles do not allow it
  kBodyTooLarge,          // HTTP 413
  kUnsupportedMediaType,  // HTTP 415
  kTooManyHeaders,        // HTTP 431
  kMethodNotAllowed,      // HTTP 405
  kIdempotencyKeyReused,  // HTTP 422
  kRevealQuotaExceeded,   // the hourly reveal quota is spent
  kCustomerNotFound,      // no such customer (or erased)
  kCustomerKept,          // retention: seen or consented since the plan
  kDuplicateEmail,        // another customer has this email (HTTP 409)
};

inline constexpr std::array<Reason, 12> kAllReasons = {
    Reason::kAuditUnavailable, Reason::kStorageFull,          Reason::kForbidden,
    Reason::kBodyTooLarge,     Reason::kUnsupportedMediaType, Reason::kTooManyHeaders,
    Reason::kMethodNotAllowed, Reason::kIdempotencyKeyReused, Reason::kRevealQuotaExceeded,
    Reason::kCustomerNotFound, Reason::kCustomerKept,         Reason::kDuplicateEmail,
};

// The reason as clients and the audit log see it ("storage_full").
std::string_view ReasonName(Reason reason);
// nullopt for a name that is not in the table (exact match).
std::optional<Reason> ParseReason(std::string_view name);

}  // namespace vault
