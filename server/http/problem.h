// The one mapping from Status to HTTP: RFC 9457 problem+json bodies with a
// stable `code` (the Status reason) and the request id. Thread-safe.
#pragma once

#include <httplib.h>

#include <string>

#include "common/status.h"

namespace vault::http {

int HttpStatusFor(const Status& status);

// Sets res's status, Content-Type application/problem+json and body.
// Internal errors are reported as a generic 500 without their message.
void WriteProblem(httplib::Response& res, const Status& status, const std::string& request_id);

}  // namespace vault::http
