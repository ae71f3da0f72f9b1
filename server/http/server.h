// HttpServer: the HTTPS front door. It runs the routes on the strict front
// (http/front.h) with the configured limits, gives every request an
// X-Request-Id, answers the front's own refusals and any escaped exception
// as problem+json, logs one line per request (method, route pattern,
// status: never a body or a query), and counts it in the metrics under
// labels from fixed sets only. Plain HTTP only when allowed in config and
// bound to loopback. GET /metrics is not on this port (404 there): it is
// served in plain HTTP on a listener of its own, metrics.listen (loopback by
// default, "off" for none), so the API port never exposes it.
//
// Thread-safe: Stop() may be called from any thread (a signal watcher).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/status.h"
#include "http/front.h"
#include "http/routes.h"

namespace vault::http {

class HttpServer {
 public:
  // `app` must outlive the server.
  HttpServer(const Config& config, App& app);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds config.listen:config.port (0 picks a free port), and the metrics
  // listener unless it is off. Returns the API port.
  StatusOr<int> Bind();
  // Serves both until Stop(). REQUIRES: Bind() succeeded.
  void Serve();
  void Stop();
  bool tls() const { return tls_; }
  // The metrics listener's port; 0 when metrics.listen is "off".
  int metrics_port() const { return metrics_port_; }

 private:
  const Config& config_;
  App& app_;
  bool tls_ = true;
  // Runs a request the front read through the routes (a worker thread).
  void Answer(Request& req, Response& res) const;
  // The metrics listener's one route (a worker thread of its own front).
  void AnswerMetrics(const Request& req, Response& res) const;
  StatusOr<int> BindMetrics();

  std::unique_ptr<Router> router_;
  std::unique_ptr<Front> front_;  // after router_: its handlers use it
  std::unique_ptr<Front> metrics_front_;
  int metrics_port_ = 0;
};

}  // namespace vault::http
