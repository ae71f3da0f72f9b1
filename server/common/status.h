// Status and StatusOr<T>: recoverable errors as values (after absl::Status).
// A Status carries a code from a small fixed set, a human message, a stable
// machine-readable reason ("email_invalid") that clients may switch on, and
// for a spent rate limit or quota the delay after which a retry may succeed.
// The one mapping from codes to HTTP lives in http/problem.cc. Code that
// branches on a reason names it as a Reason (common/reason.h) and asks Is() or
// a predicate below; it never compares reason() with a string.
// Thread-compatible.
#pragma once

#include <algorithm>
#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "common/reason.h"

namespace vault {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller sent something malformed
  kNotFound,            // the named thing does not exist (or is not visible)
  kAlreadyExists,       // a unique thing exists already
  kUnauthenticated,     // no valid credential
  kPermissionDenied,    // valid credential, not allowed
  kFailedPrecondition,  // the system is not in a state to do this
  kResourceExhausted,   // a quota or rate limit is spent, or the disk is full
  kAborted,             // a concurrent change won; retry may succeed
  kUnavailable,         // transient: storage or audit cannot be written
  kDataLoss,            // stored data failed integrity checks
  kInternal,            // a bug
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string reason = {})
      : code_(code), message_(std::move(message)), reason_(std::move(reason)) {}
  Status(StatusCode code, std::string message, Reason reason)
      : Status(code, std::move(message), std::string(ReasonName(reason))) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Stable snake_case code for clients; defaults to the code's name.
  std::string reason() const;
  // Whether this status carries `reason`.
  bool Is(Reason reason) const { return reason_ == ReasonName(reason); }
  // "INVALID_ARGUMENT: email is not a valid address"
  std::string ToString() const;

  // When a retry may succeed (a rate limit or quota that refills); unset for
  // errors that waiting does not cure. HTTP sends it as Retry-After and
  // `retry_after_s`.
  const std::optional<std::chrono::milliseconds>& retry_after() const { return retry_after_; }
  Status&& WithRetryAfter(std::chrono::milliseconds delay) && {
    retry_after_ = std::max(delay, std::chrono::milliseconds(0));
    return std::move(*this);
  }

  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string reason_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

inline Status InvalidArgument(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(reason));
}
inline Status NotFound(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kNotFound, std::move(msg), std::move(reason));
}
inline Status AlreadyExists(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kAlreadyExists, std::move(msg), std::move(reason));
}
inline Status Unauthenticated(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kUnauthenticated, std::move(msg), std::move(reason));
}
inline Status PermissionDenied(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kPermissionDenied, std::move(msg), std::move(reason));
}
inline Status FailedPrecondition(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg), std::move(reason));
}
inline Status ResourceExhausted(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kResourceExhausted, std::move(msg), std::move(reason));
}
// A spent rate limit or quota: ResourceExhausted that may be retried after
// `retry_after`.
inline Status RateLimited(std::string msg, std::string reason,
                          std::chrono::milliseconds retry_after) {
  return ResourceExhausted(std::move(msg), std::move(reason)).WithRetryAfter(retry_after);
}
inline Status Aborted(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kAborted, std::move(msg), std::move(reason));
}
inline Status Unavailable(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kUnavailable, std::move(msg), std::move(reason));
}
inline Status DataLoss(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kDataLoss, std::move(msg), std::move(reason));
}
inline Status Internal(std::string msg, std::string reason = {}) {
  return Status(StatusCode::kInternal, std::move(msg), std::move(reason));
}

// The same with a named Reason.
inline Status InvalidArgument(std::string msg, Reason reason) {
  return Status(StatusCode::kInvalidArgument, std::move(msg), reason);
}
inline Status NotFound(std::string msg, Reason reason) {
  return Status(StatusCode::kNotFound, std::move(msg), reason);
}
inline Status AlreadyExists(std::string msg, Reason reason) {
  return Status(StatusCode::kAlreadyExists, std::move(msg), reason);
}
inline Status Unauthenticated(std::string msg, Reason reason) {
  return Status(StatusCode::kUnauthenticated, std::move(msg), reason);
}
inline Status PermissionDenied(std::string msg, Reason reason) {
  return Status(StatusCode::kPermissionDenied, std::move(msg), reason);
}
inline Status FailedPrecondition(std::string msg, Reason reason) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg), reason);
}
inline Status ResourceExhausted(std::string msg, Reason reason) {
  return Status(StatusCode::kResourceExhausted, std::move(msg), reason);
}
inline Status RateLimited(std::string msg, Reason reason, std::chrono::milliseconds retry_after) {
  return ResourceExhausted(std::move(msg), reason).WithRetryAfter(retry_after);
}
inline Status Aborted(std::string msg, Reason reason) {
  return Status(StatusCode::kAborted, std::move(msg), reason);
}
inline Status Unavailable(std::string msg, Reason reason) {
  return Status(StatusCode::kUnavailable, std::move(msg), reason);
}
inline Status DataLoss(std::string msg, Reason reason) {
  return Status(StatusCode::kDataLoss, std::move(msg), reason);
}
inline Status Internal(std::string msg, Reason reason) {
  return Status(StatusCode::kInternal, std::move(msg), reason);
}

// The audit entry could not be written: the caller fails closed.
inline bool IsAuditUnavailable(const Status& status) {
  return status.Is(Reason::kAuditUnavailable);
}
// The disk is full (store/store.h).
inline bool IsStorageFull(const Status& status) { return status.Is(Reason::kStorageFull); }

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : value_(std::move(status)) {  // NOLINT: implicit
    assert(!std::get<Status>(value_).ok());
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status() : std::get<Status>(value_); }

  // REQUIRES: ok()
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> value_;
};

#define VAULT_CONCAT_INNER_(a, b) a##b
#define VAULT_CONCAT_(a, b) VAULT_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)     \
  do {                            \
    ::vault::Status _st = (expr); \
    if (!_st.ok()) return _st;    \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` declares x from a StatusOr or returns.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(VAULT_CONCAT_(_status_or_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

}  // namespace vault
