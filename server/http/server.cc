#include "http/server.h"

#include <chrono>
#include <exception>
#include <optional>
#include <thread>

#include "common/log.h"
#include "crypto/util.h"
#include "http/problem.h"

namespace vault::http {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.starts_with("127.");
}

std::string NewRequestId() { return "req_" + crypto::HexEncode(crypto::RandomBytes(12)); }

// What every answer carries, routed or refused.
void SetCommonHeaders(Response& res, const std::string& request_id) {
  res.replace_header("X-Request-Id", request_id);
  res.replace_header("X-Content-Type-Options", "nosniff");
}

// A metric label and log token for the method: one of a fixed set, so that
// no client can add a series or write into a log line.
std::string_view MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

}  // namespace

std::string RequestId(const Response& res) { return res.get_header_value("X-Request-Id"); }

HttpServer::HttpServer(const Config& config, App& app) : config_(config), app_(app) {}
HttpServer::~HttpServer() = default;

void HttpServer::Answer(Request& req, Response& res) const {
  SetCommonHeaders(res, NewRequestId());
  bool routed = false;
  try {
    routed = router_->Dispatch(req, res);
  } catch (const std::exception&) {
    routed = true;
    WriteProblem(res, Internal("unhandled exception"), RequestId(res));
  } catch (...) {
    routed = true;
    WriteProblem(res, Internal("unhandled exception"), RequestId(res));
  }
  std::string allow;
  if (!routed) {
    // A known path under a method it is not served with answers 405.
    allow = router_->AllowedMethods(req.path);
    res.status = allow.empty() ? 404 : 405;
  }
  // An error without a body (no route, or a route that set only a status)
  // gets a problem+json.
  if (res.status >= 400 && res.body.empty()) {
    res.replace_header("Cache-Control", "no-store");
    std::string id = RequestId(res);
    switch (res.status) {
      case 404:
        WriteProblem(res, NotFound("no such route", "route_not_found"), id);
        break;
      case 405:
        res.replace_header("Allow", allow);
        WriteProblem(res,
                     InvalidArgument(std::string(MethodLabel(req.method)) +
                                         " is not allowed here; allowed: " + allow,
                                     Reason::kMethodNotAllowed),
                     id);
        break;
      default:
        WriteProblem(res, res.status, InvalidArgument("malformed request", "bad_request"), id);
        break;
    }
  }
  // The route pattern, never the query string: paths carry record ids but
  // never PII. A path no route knows counts as "other": the label set stays
  // bounded by the routes, whatever clients send.
  std::string route = routed || !allow.empty() ? RoutePattern(req.path) : "other";
  std::string_view method = MethodLabel(req.method);
  if (app_.metrics != nullptr) app_.metrics->CountRequest(std::string(method), route, res.status);
  log::Info("http " + std::string(method) + " " + route + " " + std::to_string(res.status) +
            " id=" + RequestId(res) + " client=" + req.remote_addr);
}

StatusOr<int> HttpServer::Bind() {
  tls_ = !(config_.allow_plain_http && IsLoopback(config_.listen));
  if (config_.allow_plain_http && !tls_) {
    log::Warn("serving plain HTTP on loopback, as allowed by server.allow_plain_http");
  } else if (config_.allow_plain_http) {
    log::Warn("server.allow_plain_http ignored: the listen address is not loopback");
  }
  router_ = std::make_unique<Router>();
  Router& routes = *router_;
  RegisterHealthRoutes(routes, app_);
  RegisterAuthRoutes(routes, app_);
  RegisterCustomerRoutes(routes, app_);
  RegisterAdminRoutes(routes, app_);
  RegisterPrivacyRoutes(routes, app_);
  RegisterWebRoutes(routes, app_);

  FrontOptions o;
  o.listen = config_.listen;
  o.port = config_.port;
  o.tls = tls_;
  o.tls_cert_file = config_.TlsCertFile();
  o.tls_key_file = config_.TlsKeyFile();
  o.io_threads = config_.io_threads;
  o.worker_threads = config_.threads;
  o.max_queued_requests = static_cast<size_t>(config_.max_queued_requests);
  o.limits.max_request_line = static_cast<size_t>(config_.max_request_line_bytes);
  o.limits.max_header_bytes = static_cast<size_t>(config_.max_header_bytes);
  o.limits.max_header_fields = static_cast<size_t>(config_.max_header_fields);
  o.limits.max_body_bytes = static_cast<uint64_t>(config_.max_body_bytes);
  o.header_timeout = std::chrono::seconds(config_.read_timeout_seconds);
  o.idle_timeout = std::chrono::seconds(config_.idle_timeout_seconds);
  o.write_timeout = std::chrono::seconds(config_.write_timeout_seconds);
  o.min_body_bytes_per_second = static_cast<uint64_t>(config_.min_body_bytes_per_second);
  o.max_connections = config_.max_connections;
  o.max_connections_per_client = config_.max_connections_per_client;
  o.retry_after_seconds = config_.retry_after_seconds;
  front_ = std::make_unique<Front>(
      o, [this](Request& req, Response& res) { Answer(req, res); },
      [this](const Request& req, const Refusal& refusal, Response& res) {
        // The front refused the request (framing, a limit, overload):
        // answered as any error, and counted and logged like one.
        SetCommonHeaders(res, NewRequestId());
        res.replace_header("Cache-Control", "no-store");
        Status why = refusal.status == 503   ? Unavailable(refusal.detail, refusal.code)
                     : refusal.status == 500 ? Internal(refusal.detail)
                                             : InvalidArgument(refusal.detail, refusal.code);
        // A POS client tells a bad Idempotency-Key by its code, whoever
        // refuses it: the route (length, spaces, non-ASCII) or the front
        // (control characters).
        if (refusal.code == "bad_header_value" &&
            !CaseInsensitiveLess()(refusal.field, "Idempotency-Key") &&
            !CaseInsensitiveLess()("Idempotency-Key", refusal.field)) {
          why = InvalidArgument(refusal.detail, "idempotency_key_invalid");
        }
        WriteProblem(res, refusal.status, why, RequestId(res));
        std::string_view method = MethodLabel(req.method);
        if (app_.metrics != nullptr) {
          app_.metrics->CountRequest(std::string(method), "other", refusal.status);
        }
        log::Info("http " + std::string(method) + " other " + std::to_string(refusal.status) +
                  " id=" + RequestId(res) + " client=" + req.remote_addr +
                  " refused=" + refusal.code);
      });
  ASSIGN_OR_RETURN(int port, front_->Bind());
  ASSIGN_OR_RETURN(metrics_port_, BindMetrics());
  return port;
}

void HttpServer::AnswerMetrics(const Request& req, Response& res) const {
  res.replace_header("X-Content-Type-Options", "nosniff");
  res.replace_header("Cache-Control", "no-store");
  if (req.path != "/metrics") {
    res.status = 404;
    res.set_content("not found\n", "text/plain; charset=utf-8");
  } else if (req.method != "GET" && req.method != "HEAD") {
    res.status = 405;
    res.replace_header("Allow", "GET, HEAD");
    res.set_content("method not allowed\n", "text/plain; charset=utf-8");
  } else {
    res.set_content(app_.metrics->Render(app_.health->Stats()), "text/plain; version=0.0.4");
  }
}

StatusOr<int> HttpServer::BindMetrics() {
  if (config_.metrics_listen == "off" || app_.metrics == nullptr) return 0;
  std::optional<HostPort> where = ParseHostPort(config_.metrics_listen);
  if (!where) {
    return InvalidArgument("metrics.listen: " + config_.metrics_listen + " is not host:port",
                           "config_invalid");
  }
  if (!IsLoopback(where->host)) {
    log::Warn("metrics.listen is not a loopback address: /metrics is reachable from the network");
  }
  // One scraper, a few connections: small, plain HTTP, its own threads, so
  // that a flood on the API port never starves it and it never starves the API.
  FrontOptions o;
  o.listen = where->host;
  o.port = where->port;
  o.tls = false;
  o.io_threads = 1;
  o.worker_threads = 1;
  o.max_queued_requests = 8;
  o.limits.max_body_bytes = 0;
  o.max_connections = 16;
  o.max_connections_per_client = 16;
  metrics_front_ =
      std::make_unique<Front>(o, [this](Request& req, Response& res) { AnswerMetrics(req, res); });
  return metrics_front_->Bind();
}

void HttpServer::Serve() {
  std::thread metrics;
  if (metrics_front_) metrics = std::thread([this] { metrics_front_->Serve(); });
  front_->Serve();
  if (metrics_front_) metrics_front_->Stop();
  if (metrics.joinable()) metrics.join();
}

void HttpServer::Stop() {
  if (front_) front_->Stop();
  if (metrics_front_) metrics_front_->Stop();
}

}  // namespace vault::http
