// HttpServer: the HTTPS front door. It owns the httplib server, applies the
// configured limits (body size, timeouts, thread pool, TCP_NODELAY,
// keep-alive), gives every request an X-Request-Id, turns any escaped
// exception into a generic 500, logs one line per request (method, route
// pattern, status, time: never a body or a query), and registers the routes.
// Plain HTTP only when allowed in config and bound to loopback.
//
// Thread-safe: Stop() may be called from any thread (a signal watcher).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/status.h"
#include "http/routes.h"

namespace httplib {
class Server;
}

namespace vault::http {

class HttpServer {
 public:
  // `app` must outlive the server.
  HttpServer(const Config& config, App& app);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds config.listen:config.port (0 picks a free port). Returns the port.
  StatusOr<int> Bind();
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Serve();
  void Stop();
  bool tls() const { return tls_; }

 private:
  const Config& config_;
  App& app_;
  bool tls_ = true;
  std::unique_ptr<Router> router_;           // the routes of server_, for 405's Allow
  std::unique_ptr<httplib::Server> server_;  // after router_: its handlers use it
};

}  // namespace vault::http
