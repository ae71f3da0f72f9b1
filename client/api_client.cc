#include "api_client.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace vault::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// "120" -> 120 s; the HTTP-date form and anything else -> nullopt.
std::optional<seconds> ParseDelaySeconds(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return seconds(std::atoll(text.c_str()));
}

bool SafeToResend(const ApiRequest& r) {
  return r.method == "GET" || r.method == "PUT" || r.method == "DELETE" ||
         !r.idempotency_key.empty();
}

bool DefaultSleep(milliseconds ms) {
  std::this_thread::sleep_for(ms);
  return true;
}

}  // namespace

std::string ApiResponse::Describe() const {
  std::string why = detail.empty() ? "HTTP " + std::to_string(status) : detail;
  return why + " (HTTP " + std::to_string(status) + (code.empty() ? "" : ", " + code) + ")";
}

std::optional<seconds> RetryAfterOf(const nlohmann::json& problem) {
  if (!problem.is_object()) return std::nullopt;
  auto it = problem.find("retry_after_s");
  if (it == problem.end() || !it->is_number_integer()) return std::nullopt;
  int64_t s = it->get<int64_t>();
  if (s < 0) return std::nullopt;
  return seconds(s);
}

ApiClient::ApiClient(ApiOptions options, Sleeper sleep)
    : options_(std::move(options)), sleep_(sleep ? std::move(sleep) : Sleeper(&DefaultSleep)) {
  client_ = std::make_unique<httplib::Client>(options_.server);
  client_->set_connection_timeout(options_.connect_timeout);
  client_->set_read_timeout(options_.read_timeout);
  client_->set_write_timeout(options_.write_timeout);
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);  // no 40 ms Nagle stall on each small POST
  if (options_.insecure) {
    client_->enable_server_certificate_verification(false);
  } else if (!options_.ca_cert.empty()) {
    client_->set_ca_cert_path(options_.ca_cert.c_str());
  }
}

std::optional<ApiResponse> ApiClient::SendOnce(const ApiRequest& request, std::string* error,
                                               bool* retryable) {
  *retryable = true;
  httplib::Headers headers;
  if (!options_.token.empty()) headers.emplace("Authorization", "Bearer " + options_.token);
  if (!request.idempotency_key.empty()) {
    headers.emplace("Idempotency-Key", request.idempotency_key);
  }
  const std::string& m = request.method;
  const char* path = request.path.c_str();
  httplib::Result result{nullptr, httplib::Error::Unknown};
  if (m == "GET") {
    result = client_->Get(path, headers);
  } else if (m == "POST") {
    result = client_->Post(path, headers, request.body, "application/json");
  } else if (m == "PATCH") {
    result = client_->Patch(path, headers, request.body, "application/json");
  } else if (m == "PUT") {
    result = client_->Put(path, headers, request.body, "application/json");
  } else if (m == "DELETE") {
    result = client_->Delete(path, headers);
  } else {
    *error = "unknown method " + m;
    *retryable = false;
    return std::nullopt;
  }
  if (!result) {
    *error = "cannot reach " + options_.server + ": " + httplib::to_string(result.error());
    if (result.error() == httplib::Error::SSLServerVerification) {
      *error += " (pass --ca-cert with the server's certificate)";
      *retryable = false;
    }
    return std::nullopt;
  }
  ApiResponse out;
  out.status = result->status;
  if (!result->body.empty()) out.body = nlohmann::json::parse(result->body, nullptr, false);
  if (out.body.is_object()) {
    auto text = [&](const char* name) {
      auto it = out.body.find(name);
      return it != out.body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    out.code = text("code");
    out.detail = text("detail");
  }
  out.retry_after = ParseDelaySeconds(result->get_header_value("Retry-After"));
  if (!out.retry_after) out.retry_after = RetryAfterOf(out.body);
  return out;
}

StatusOr<ApiResponse> ApiClient::Send(const ApiRequest& request) {
  const RetryPolicy& retry = request.retry;
  milliseconds backoff = retry.first_backoff;
  auto next_backoff = [&] {
    milliseconds now = backoff;
    backoff = std::min(backoff * 2, retry.max_backoff);
    return now;
  };
  int failures = 0, busy = 0, rate_limited = 0;
  auto may_wait = [](int waited, int max) { return max < 0 || waited < max; };
  for (;;) {
    std::string error;
    bool retryable = false;
    std::optional<ApiResponse> answer = SendOnce(request, &error, &retryable);
    milliseconds pause{0};
    if (!answer || (answer->status >= 500 && answer->status != 503)) {
      if (!retryable || !SafeToResend(request) || ++failures >= retry.attempts) {
        if (!answer) return Unavailable(error);
        answer->busy_waits = busy;
        answer->rate_limited_waits = rate_limited;
        return std::move(*answer);
      }
      pause = next_backoff();
    } else if ((answer->status == 429 && may_wait(rate_limited, retry.max_rate_limited_waits)) ||
               (answer->status == 503 && may_wait(busy, retry.max_busy_waits))) {
      // Nothing was done: waiting and sending the same request is safe.
      ++(answer->status == 429 ? rate_limited : busy);
      pause = answer->retry_after ? std::clamp<milliseconds>(*answer->retry_after, milliseconds(1),
                                                             retry.max_retry_after)
                                  : next_backoff();
    } else {
      answer->busy_waits = busy;
      answer->rate_limited_waits = rate_limited;
      return std::move(*answer);
    }
    if (!sleep_(pause)) return Aborted("stopped");
  }
}

StatusOr<ApiResponse> ApiClient::Call(const std::string& method, const std::string& path,
                                      const nlohmann::json* body) {
  ApiRequest request;
  request.method = method;
  request.path = path;
  if (body != nullptr) request.body = body->dump();
  request.retry.attempts = 3;
  request.retry.max_busy_waits = 2;
  ASSIGN_OR_RETURN(ApiResponse out, Send(request));
  if (out.ok()) return out;
  return Status(StatusCode::kFailedPrecondition, out.Describe(), out.code);
}

}  // namespace vault::cli
