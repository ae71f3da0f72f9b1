#include "http/server.h"

#include <httplib.h>

#include <chrono>
#include <exception>

#include "common/log.h"
#include "crypto/util.h"
#include "http/problem.h"

namespace vault::http {
namespace {

// Far more than any browser or POS client sends (about 20).
constexpr size_t kMaxRequestHeaders = 100;

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.starts_with("127.");
}

}  // namespace

std::string RequestId(const httplib::Response& res) { return res.get_header_value("X-Request-Id"); }

HttpServer::HttpServer(const Config& config, App& app) : config_(config), app_(app) {}
HttpServer::~HttpServer() = default;

StatusOr<int> HttpServer::Bind() {
  tls_ = !(config_.allow_plain_http && IsLoopback(config_.listen));
  if (config_.allow_plain_http && !tls_) {
    log::Warn("serving plain HTTP on loopback, as allowed by server.allow_plain_http");
  } else if (config_.allow_plain_http) {
    log::Warn("server.allow_plain_http ignored: the listen address is not loopback");
  }
  if (tls_) {
    auto ssl = std::make_unique<httplib::SSLServer>(config_.TlsCertFile().c_str(),
                                                    config_.TlsKeyFile().c_str());
    if (!ssl->is_valid()) {
      return FailedPrecondition("cannot load the TLS certificate " + config_.TlsCertFile() +
                                    " and key " + config_.TlsKeyFile(),
                                "tls_unusable");
    }
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *server_;
  int threads = config_.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(1000);
  // An idle keep-alive connection holds a worker thread, and a stop waits for
  // it: keep the wait short (SIGTERM with an idle client took 30 s).
  s.set_keep_alive_timeout(5);
  s.set_read_timeout(config_.read_timeout_seconds, 0);
  s.set_write_timeout(config_.write_timeout_seconds, 0);
  s.set_payload_max_length(static_cast<size_t>(config_.max_body_bytes));

  s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Request-Id", "req_" + crypto::HexEncode(crypto::RandomBytes(12)));
    res.set_header("X-Content-Type-Options", "nosniff");
    // httplib limits each header line (8 KiB) but not their number; and it
    // lets Transfer-Encoding override Content-Length, where a proxy in front
    // may frame the body by Content-Length (request smuggling). Refuse both,
    // closing the connection: the unread body must not pass for a request.
    Status refused;
    if (req.headers.size() > kMaxRequestHeaders) {
      refused =
          InvalidArgument("more than " + std::to_string(kMaxRequestHeaders) + " request headers",
                          Reason::kTooManyHeaders);
    } else if (req.has_header("Transfer-Encoding") && req.has_header("Content-Length")) {
      refused = InvalidArgument("send either Content-Length or Transfer-Encoding, not both",
                                "ambiguous_length");
    }
    if (refused.ok()) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("Connection", "close");
    res.set_header("Cache-Control", "no-store");
    WriteProblem(res, refused, RequestId(res));
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    WriteProblem(res, Internal("unhandled exception"), RequestId(res));
  });
  router_ = std::make_unique<Router>(s);
  s.set_error_handler(
      [router = router_.get()](const httplib::Request& req, httplib::Response& res) {
        // Only errors no route answered (404 for unknown paths, 413 from httplib's
        // own limit, 400 for malformed requests) arrive here without a body.
        if (!res.body.empty()) return;
        if (res.status == 404) {
          // A known path under a method it is not served with.
          std::string allow = router->AllowedMethods(req.path);
          if (!allow.empty()) {
            res.status = 405;
            res.set_header("Allow", allow);
          }
        }
        res.set_header("Cache-Control", "no-store");
        std::string id = RequestId(res);
        if (id.empty()) {
          id = "req_" + crypto::HexEncode(crypto::RandomBytes(12));
          res.set_header("X-Request-Id", id);
        }
        switch (res.status) {
          case 404:
            WriteProblem(res, NotFound("no such route", "route_not_found"), id);
            break;
          case 413:
            WriteProblem(
                res, InvalidArgument("the request body is too large", Reason::kBodyTooLarge), id);
            break;
          case 405:
            WriteProblem(res,
                         InvalidArgument(req.method + " is not allowed here; allowed: " +
                                             res.get_header_value("Allow"),
                                         Reason::kMethodNotAllowed),
                         id);
            break;
          default:
            WriteProblem(res, InvalidArgument("malformed request", "bad_request"), id);
            if (res.status == 200) res.status = 400;
            break;
        }
      });
  s.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    // The route pattern, never the query string: paths carry record ids but
    // never PII, and the pattern keeps metric labels bounded.
    std::string route = RoutePattern(req.path);
    if (app_.metrics != nullptr) app_.metrics->CountRequest(req.method, route, res.status);
    log::Info("http " + req.method + " " + route + " " + std::to_string(res.status) +
              " id=" + res.get_header_value("X-Request-Id") + " client=" + req.remote_addr);
  });

  Router& routes = *router_;
  RegisterHealthRoutes(routes, app_);
  RegisterAuthRoutes(routes, app_);
  RegisterCustomerRoutes(routes, app_);
  RegisterAdminRoutes(routes, app_);
  RegisterPrivacyRoutes(routes, app_);
  RegisterWebRoutes(routes, app_);

  int port = config_.port;
  if (port == 0) {
    port = s.bind_to_any_port(config_.listen);
    if (port < 0) port = -1;
  } else if (!s.bind_to_port(config_.listen, port)) {
    port = -1;
  }
  if (port <= 0) {
    return FailedPrecondition(
        "cannot listen on " + config_.listen + ":" + std::to_string(config_.port), "listen_failed");
  }
  return port;
}

void HttpServer::Serve() { server_->listen_after_bind(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
}

}  // namespace vault::http
