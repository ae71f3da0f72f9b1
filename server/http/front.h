// Front: the event-driven HTTP/1.1 server every request enters by (Boost.Beast
// over Asio, TLS through OpenSSL). A fixed pool of I/O threads owns every
// socket; requests run on a bounded worker pool, so a slow store call never
// holds an I/O thread and an idle keep-alive connection costs memory, not a
// thread. Framing is strict and fails closed (http/framing.h): a refusal is
// answered and the connection closed, so nothing after it can pass for a
// request. Every limit is enforced while reading:
//   - the request line, the header block and its field count (414 / 431);
//   - the body: 413 as soon as a Content-Length declares more than
//     max_body_bytes or a chunked body grows past it;
//   - time: the TLS handshake and whole head within header_timeout of the
//     connection or the request's first byte (not per byte: a client
//     dripping bytes is cut); the body at min_body_bytes_per_second after the
//     same grace; an idle keep-alive connection closes after idle_timeout;
//   - connections: max_connections in all and max_connections_per_client
//     from one address; past them a connection is answered 503 with
//     Retry-After and closed.
// Pipelined requests are answered one at a time, in order.
//
// No Beast or Asio type appears here: only front.cc compiles them.
// Thread-safe: Stop() may be called from any thread (a signal watcher).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/framing.h"
#include "http/message.h"

namespace vault::http {

struct FrontOptions {
  std::string listen = "127.0.0.1";
  int port = 0;  // 0 picks a free port
  bool tls = true;
  std::string tls_cert_file;  // PEM chain
  std::string tls_key_file;   // PEM
  // Strict-Transport-Security on every HTTPS response.
  std::string hsts = "max-age=31536000";

  int io_threads = 0;  // 0: the number of cores
  int worker_threads = 64;
  size_t max_queued_requests = 1024;  // waiting for a worker; 503 past it

  FramingLimits limits;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{5'000};
  std::chrono::milliseconds write_timeout{10'000};
  uint64_t min_body_bytes_per_second = 1024;

  int max_connections = 10'000;
  int max_connections_per_client = 1'000;
  int retry_after_seconds = 2;
};

// Runs on a worker thread; fills `res`. An exception becomes a 500.
using FrontHandler = std::function<void(Request& req, Response& res)>;
// Writes the answer to a request the front refused itself (framing, limits,
// overload): `res.status` is already refusal.status. `req` holds whatever of
// the request was read (maybe nothing). Runs on an I/O thread: keep it cheap.
using RefusalWriter =
    std::function<void(const Request& req, const Refusal& refusal, Response& res)>;

class Front {
 public:
  // Without a RefusalWriter, refusals carry a text/plain body "code: detail".
  Front(FrontOptions options, FrontHandler handler, RefusalWriter refusal = nullptr);
  ~Front();
  Front(const Front&) = delete;
  Front& operator=(const Front&) = delete;

  // Loads the TLS certificate (FailedPrecondition "tls_unusable") and binds
  // (FailedPrecondition "listen_failed"). Returns the port.
  StatusOr<int> Bind();
  // Serves until Stop(), on io_threads threads (this one among them).
  // Requests in flight are answered; idle connections are closed.
  void Serve();
  void Stop();

  // For tests and metrics: connections open now (admitted or not).
  size_t open_connections() const;

  struct Impl;  // front.cc's, shared with its sessions

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vault::http
