// The one mapping from Status to HTTP: RFC 9457 problem+json bodies with a
// stable `code` (the Status reason) and the request id. Every 429 carries
// when to retry, as a Retry-After header (whole seconds) and `retry_after_s`
// in the body, and so does a 429 batch item in its result. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "http/message.h"

namespace vault::http {

int HttpStatusFor(const Status& status);

// Sets res's status, Content-Type application/problem+json and body.
// Internal errors are reported as a generic 500 without their message.
void WriteProblem(Response& res, const Status& status, const std::string& request_id);
// As above with the HTTP status given (the front's own refusals: 414, 431,
// 505... whose status is decided by the framing, not by a Status reason).
void WriteProblem(Response& res, int http_status, const Status& status,
                  const std::string& request_id);

// The error of one item of a batch: {"code", "detail"} and, for a 429,
// "retry_after_s"; internal errors without their message, as WriteProblem.
nlohmann::json ItemProblem(const Status& status);

// Whole seconds to wait before retrying after this Status (rounded up, at
// least 1): its retry_after(), or 1 for a 429 that names none.
int64_t RetryAfterSeconds(const Status& status);

}  // namespace vault::http
