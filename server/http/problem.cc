#include "http/problem.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace vault::http {
int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      if (status.Is(Reason::kBodyTooLarge)) return 413;
      if (status.Is(Reason::kUnsupportedMediaType)) return 415;
      if (status.Is(Reason::kTooManyHeaders)) return 431;
      if (status.Is(Reason::kMethodNotAllowed)) return 405;
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kFailedPrecondition:
      return status.Is(Reason::kIdempotencyKeyReused) ? 422 : 409;
    case StatusCode::kResourceExhausted:
      return IsStorageFull(status) ? 507 : 429;
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDataLoss:
      return 500;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

int64_t RetryAfterSeconds(const Status& status) {
  int64_t ms = status.retry_after() ? status.retry_after()->count() : 0;
  return std::max<int64_t>(1, (ms + 999) / 1000);
}

namespace {

// Internal errors are reported without their message; a refusal of the
// request itself (505) says why.
bool HideDetail(const Status& status, int http_status) {
  return http_status >= 500 && status.code() != StatusCode::kUnavailable &&
         status.code() != StatusCode::kInvalidArgument && !IsStorageFull(status);
}

}  // namespace

nlohmann::json ItemProblem(const Status& status) {
  int code = HttpStatusFor(status);
  bool hide = HideDetail(status, code);
  nlohmann::json error = {
      {"code", hide ? "internal" : status.reason()},
      {"detail", hide ? "an internal error occurred" : status.message()},
  };
  if (code == 429) error["retry_after_s"] = RetryAfterSeconds(status);
  return error;
}

void WriteProblem(Response& res, const Status& status, const std::string& request_id) {
  WriteProblem(res, HttpStatusFor(status), status, request_id);
}

void WriteProblem(Response& res, int code, const Status& status, const std::string& request_id) {
  bool hide = HideDetail(status, code);
  nlohmann::json body = {
      {"type", "about:blank"},
      {"title", StatusText(code)},
      {"status", code},
      {"code", hide ? "internal" : status.reason()},
      {"detail", hide ? "an internal error occurred; quote the request id" : status.message()},
      {"request_id", request_id},
  };
  if (code == 429) {
    int64_t seconds = RetryAfterSeconds(status);
    body["retry_after_s"] = seconds;
    res.set_header("Retry-After", std::to_string(seconds));
  }
  res.status = code;
  // A message may quote client text (a member name, a path id): replace
  // invalid UTF-8 rather than throw, which would turn a 4xx into a 500.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/problem+json");
  if (code == 401) res.set_header("WWW-Authenticate", "Bearer");
}

}  // namespace vault::http
