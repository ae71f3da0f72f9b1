// A small HTTPS client for the vault's API, used by every remote command of
// the CLI (the importer included): bearer token, JSON bodies, problem+json
// answers read as structure (`code`, `detail`, `retry_after_s`, Retry-After),
// never by parsing their prose.
//
// Retries (ApiRequest::retry):
//  - 429 and 503 are answered before anything was done: the same request is
//    sent again after the server's Retry-After (or an exponential back-off
//    when it names none), up to max_rate_limited_waits / max_busy_waits times.
//  - No answer (a network error) or another 5xx is retried with back-off up
//    to `attempts` tries, but only when sending twice is safe: GET, PUT,
//    DELETE, or a request with an Idempotency-Key. A POST without one is not
//    resent, since the server may have done it.
// Not thread-safe: one ApiClient per thread (each holds one connection).
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.h"

namespace vault::cli {

struct ApiOptions {
  std::string server = "https://localhost:8443";
  std::string token;    // cvk_…; empty: no Authorization header
  std::string ca_cert;  // PEM to trust (the dev certificate); empty: system CAs
  bool insecure = false;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{60000};
  std::chrono::milliseconds write_timeout{60000};
};

struct RetryPolicy {
  // Tries when no answer comes, or a 5xx other than 503 does (only where
  // resending is safe; see above).
  int attempts = 1;
  int max_busy_waits = 0;          // 503 answers waited through
  int max_rate_limited_waits = 0;  // 429 answers waited through; -1: no limit
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  // The longest single wait for a Retry-After (a wrong header cannot stall
  // a command for an hour without saying so).
  std::chrono::milliseconds max_retry_after{60000};
};

struct ApiRequest {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  std::string path;
  std::string body;  // JSON text; sent when not empty or for POST/PUT/PATCH
  std::string idempotency_key;
  RetryPolicy retry;
};

// Any HTTP answer. For a problem+json, `code` and `detail` are its members.
struct ApiResponse {
  int status = 0;
  nlohmann::json body;  // parsed JSON; null when empty, discarded when not JSON
  std::string code, detail;
  // From the Retry-After header, else the body's `retry_after_s`.
  std::optional<std::chrono::seconds> retry_after;
  int busy_waits = 0;          // 503 answers waited through before this one
  int rate_limited_waits = 0;  // 429 answers waited through before this one

  bool ok() const { return status >= 200 && status < 300; }
  // "the detail (HTTP 409, email_taken)"
  std::string Describe() const;
};

// Reads `retry_after_s` from a problem body or a batch item's error; nullopt
// when absent or not a positive integer.
std::optional<std::chrono::seconds> RetryAfterOf(const nlohmann::json& problem);

class ApiClient {
 public:
  // Sleeps for the given time; returns false to give up (the caller stops).
  using Sleeper = std::function<bool(std::chrono::milliseconds)>;

  explicit ApiClient(ApiOptions options, Sleeper sleep = {});
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Returns the answer, whatever its status (after the retries above), or
  // Unavailable when none came, Aborted when the sleeper gave up.
  StatusOr<ApiResponse> Send(const ApiRequest& request);

  // For commands that need a 2xx: any 2xx returns the answer; any other a
  // Status with the problem's detail and code (reason = the problem's code).
  // Network errors are retried where safe, 429/503 are not waited for.
  StatusOr<ApiResponse> Call(const std::string& method, const std::string& path,
                             const nlohmann::json* body = nullptr);

  const ApiOptions& options() const { return options_; }

 private:
  // One exchange, no retries; nullopt with *error set when no answer came.
  std::optional<ApiResponse> SendOnce(const ApiRequest& request, std::string* error,
                                      bool* retryable);

  ApiOptions options_;
  Sleeper sleep_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace vault::cli
