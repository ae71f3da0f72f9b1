// The only translation unit that compiles Beast and Asio (they are heavy):
// everything else sees http/front.h.
//
// One Session per connection, all of its work on its own strand: read bytes,
// scan the head (HeadScanner, which refuses early), hand the head and body
// to Beast's parser (which removes chunked framing and counts the body
// against its limit), then run the handler on the worker pool and post the
// answer back to the strand. The next request is read only once the answer
// is written: pipelined requests already received wait in the buffer.
// A single deadline timer per session enforces the current phase's limit.
#include "http/front.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.h"

namespace vault::http {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

constexpr size_t kReadChunk = 4096;
// Bytes Beast may leave unconsumed while it waits for a chunk-size line or a
// trailer to end; past this the chunked framing is refused.
constexpr size_t kMaxPendingFraming = 16 * 1024;
// What a closing connection may still send us, beyond a whole allowed body,
// before we stop reading: a client refused 413 at once is usually still
// sending that body, and closing with unread data would reset the
// connection and lose the answer (and kill a client that does not ignore
// SIGPIPE).
constexpr size_t kDrainSlackBytes = 64 * 1024;
constexpr auto kCloseGrace = std::chrono::seconds(2);
// Connections past the caps that are still answered 503; beyond these, they
// are closed unanswered.
constexpr int kMaxOverflowConnections = 64;
constexpr auto kOverflowTimeout = std::chrono::seconds(2);

// TLS 1.2: ECDHE key exchange with AEAD ciphers only; TLS 1.3: its AEAD suites.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr char kTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

bool HasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

void DefaultRefusal(const Request&, const Refusal& refusal, Response& res) {
  res.set_content(refusal.code + ": " + refusal.detail + "\n", "text/plain; charset=utf-8");
}

// A fixed set of threads running jobs; at most max_queued jobs wait for one.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
    for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() { Shutdown(); }

  // False when the queue is full or the pool is shutting down. A job is
  // admitted while the jobs queued or running are fewer than the threads plus
  // max_queued (counting threads, not idle ones: a thread not yet waiting at
  // start-up still takes the job).
  bool TrySubmit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || queue_.size() + running_ >= threads_.size() + max_queued_) return false;
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }

  // Runs what is queued, then joins.
  void Shutdown() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Run() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
      }
      job();
      std::lock_guard lock(mu_);
      --running_;
    }
  }

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  size_t running_ = 0;     // jobs taken by a thread, not yet done; GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

class Session;

// Admission: connections counted against the caps, by client address, and
// the live sessions (for Stop). Shared with every session, so that one
// destroyed late (with the io_context's pending handlers) still finds it.
struct Registry {
  std::mutex mu;
  int admitted = 0;                                               // GUARDED_BY(mu)
  int overflow = 0;                                               // GUARDED_BY(mu)
  std::map<std::string, int> per_client;                          // GUARDED_BY(mu)
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // GUARDED_BY(mu)

  void Remove(Session* s, const std::string& client, bool was_admitted) {
    std::lock_guard lock(mu);
    sessions.erase(s);
    if (!was_admitted) {
      --overflow;
      return;
    }
    --admitted;
    auto it = per_client.find(client);
    if (it != per_client.end() && --it->second == 0) per_client.erase(it);
  }
};

}  // namespace

struct Front::Impl {
  Impl(FrontOptions o, FrontHandler h, RefusalWriter r)
      : options(std::move(o)),
        handler(std::move(h)),
        refusal(r ? std::move(r) : RefusalWriter(DefaultRefusal)),
        ssl_context(ssl::context::tls_server),
        strand(asio::make_strand(io)),
        acceptor(strand),
        retry_timer(strand),
        stop_timer(strand),
        pool(options.worker_threads, options.max_queued_requests) {}

  // Declared first: destroyed last, after every socket and timer.
  asio::io_context io;
  const FrontOptions options;
  const FrontHandler handler;
  const RefusalWriter refusal;
  ssl::context ssl_context;
  // The acceptor, its timers and Stop's work run here.
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;  // accepting again after EMFILE
  asio::steady_timer stop_timer;   // polls until the last session ends
  Clock::time_point stop_deadline;
  std::atomic<bool> stopping{false};
  const std::shared_ptr<Registry> registry = std::make_shared<Registry>();

  WorkerPool pool;  // after everything its jobs touch

  Status ConfigureTls();
  void Accept();
  void OnAccept(ErrorCode ec, tcp::socket socket);
  void WaitForSessions();
};

namespace {

enum class Phase { kHandshake, kIdle, kHead, kBody, kHandling, kWriting, kClosing };

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Front::Impl& front, tcp::socket socket, std::string client, int port, bool admitted)
      : f_(front),
        registry_(front.registry),
        stream_(std::move(socket), front.ssl_context),
        timer_(stream_.get_executor()),
        client_(std::move(client)),
        port_(port),
        admitted_(admitted),
        scanner_(front.options.limits) {}

  ~Session() { registry_->Remove(this, client_, admitted_); }

  auto executor() { return stream_.get_executor(); }

  void Start() {
    if (closed_) return;  // stopped before it began
    ErrorCode ignored;
    socket().set_option(tcp::no_delay(true), ignored);
    Arm(Clock::now() + HeadTimeout());
    if (!f_.options.tls) {
      phase_ = Phase::kIdle;
      NextRequest();
      return;
    }
    phase_ = Phase::kHandshake;
    stream_.async_handshake(ssl::stream_base::server, [self = shared_from_this()](ErrorCode ec) {
      if (self->closed_) return;
      if (ec) return self->Abort();
      self->phase_ = Phase::kIdle;
      self->NextRequest();
    });
  }

  // From Stop(): idle or half-read connections close now; one whose request
  // is running closes after its answer.
  void OnStop() {
    if (closed_) return;
    keep_alive_ = false;
    if (phase_ != Phase::kHandling && phase_ != Phase::kWriting) Abort();
  }

 private:
  tcp::socket& socket() { return stream_.next_layer(); }
  std::chrono::milliseconds HeadTimeout() const {
    auto t = f_.options.header_timeout;
    return admitted_ ? t : std::min<std::chrono::milliseconds>(t, kOverflowTimeout);
  }

  // One deadline at a time; setting another cancels the previous wait.
  void Arm(Clock::time_point deadline) {
    uint64_t generation = ++timer_generation_;
    timer_.expires_at(deadline);
    timer_.async_wait([self = shared_from_this(), generation](ErrorCode ec) {
      if (ec || self->closed_ || generation != self->timer_generation_) return;
      self->OnDeadline();
    });
  }
  void Disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  void OnDeadline() {
    // Past the phase's limit: no answer is owed (the client is not reading
    // or not sending), so the connection just ends.
    Abort();
  }

  void Abort() {
    if (closed_) return;
    closed_ = true;
    Disarm();
    ErrorCode ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  template <typename Fn>
  void ReadSome(Fn&& fn) {
    size_t old = in_.size();
    in_.resize(old + kReadChunk);
    auto buffer = asio::buffer(in_.data() + old, kReadChunk);
    auto done = [self = shared_from_this(), old, fn = std::forward<Fn>(fn)](ErrorCode ec,
                                                                            size_t n) {
      self->in_.resize(old + n);
      if (self->closed_) return;
      fn(ec);
    };
    if (f_.options.tls) {
      stream_.async_read_some(buffer, std::move(done));
    } else {
      socket().async_read_some(buffer, std::move(done));
    }
  }

  template <typename Fn>
  void Write(Fn&& fn) {
    Arm(Clock::now() + f_.options.write_timeout);
    auto done = [self = shared_from_this(), fn = std::forward<Fn>(fn)](ErrorCode ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->Abort();
      fn();
    };
    if (f_.options.tls) {
      asio::async_write(stream_, asio::buffer(out_), std::move(done));
    } else {
      asio::async_write(socket(), asio::buffer(out_), std::move(done));
    }
  }

  // Reads until the next request's head is complete (or refused).
  void NextRequest() {
    scanner_.Reset();
    req_ = Request();
    res_ = Response();
    parser_.reset();
    if (out_.capacity() > 64 * 1024) std::string().swap(out_);
    if (in_.empty()) {
      if (in_.capacity() > 64 * 1024) std::string().swap(in_);
      if (phase_ != Phase::kIdle || served_ > 0) {
        phase_ = Phase::kIdle;
        Arm(Clock::now() + f_.options.idle_timeout);
      }
    } else {
      StartHead();
      if (ScanHead()) return;
    }
    ReadHead();
  }

  // The whole head within the header timeout of its first byte; a new
  // connection's first head within it of the connection (handshake included).
  void StartHead() {
    phase_ = Phase::kHead;
    if (served_ > 0) Arm(Clock::now() + HeadTimeout());
  }

  void ReadHead() {
    ReadSome([this](ErrorCode ec) {
      if (ec) return Abort();  // the client left (or sent garbage TLS)
      if (phase_ == Phase::kIdle && !in_.empty()) StartHead();
      if (!ScanHead()) ReadHead();
    });
  }

  // True when the head is complete or refused (the session moved on).
  bool ScanHead() {
    HeadScanner::Result r = scanner_.Scan(in_);
    if (r == HeadScanner::Result::kNeedMore) return false;
    if (r == HeadScanner::Result::kRefused) {
      Refuse(scanner_.refusal());
      return true;
    }
    RequestHead& head = scanner_.head();
    req_.method = std::move(head.method);
    req_.target = std::move(head.target);
    req_.version = std::move(head.version);
    for (auto& [name, value] : head.fields) req_.headers.emplace(std::move(name), std::move(value));
    ParseTarget(req_.target, req_.path, req_.params);
    req_.remote_addr = client_;
    req_.remote_port = port_;
    keep_alive_ = keep_alive_ && head.keep_alive;

    // Beast reads the same head again (the scanner has already refused
    // anything it would be lenient about) and then frames the body.
    const FramingLimits& limits = f_.options.limits;
    parser_.emplace();
    parser_->header_limit(
        static_cast<uint32_t>(limits.max_request_line + limits.max_header_bytes + 8));
    parser_->body_limit(limits.max_body_bytes);
    parser_->eager(true);
    boost::beast::error_code ec;
    size_t used = parser_->put(asio::buffer(in_.data() + head.skipped, head.length), ec);
    in_.erase(0, head.skipped + head.length);
    if (ec || used != head.length || !parser_->is_header_done()) {
      Refuse({400, "bad_request", "a request head the parser refused"});
      return true;
    }
    if (!admitted_) {
      Refuse({503, "too_many_connections", "too many connections; retry later"});
      return true;
    }
    if (parser_->is_done()) {
      Dispatch();
      return true;
    }
    phase_ = Phase::kBody;
    body_start_ = Clock::now();
    body_received_ = 0;
    if (head.expect_continue && in_.empty()) {
      out_ = "HTTP/1.1 100 Continue\r\n\r\n";
      Write([this] {
        phase_ = Phase::kBody;
        ArmBody();
        ReadBody();
      });
      return true;
    }
    FeedBody();
    return true;
  }

  // The body must keep arriving at the minimum rate after a grace period.
  void ArmBody() {
    auto grace = f_.options.header_timeout;
    uint64_t rate = std::max<uint64_t>(f_.options.min_body_bytes_per_second, 1);
    auto allowed = std::chrono::milliseconds(body_received_ * 1000 / rate);
    Arm(body_start_ + grace + allowed);
  }

  void ReadBody() {
    ReadSome([this](ErrorCode ec) {
      if (ec) return Abort();
      FeedBody();
    });
  }

  void FeedBody() {
    while (!in_.empty()) {
      boost::beast::error_code ec;
      size_t used = parser_->put(asio::buffer(in_), ec);
      body_received_ += used;
      in_.erase(0, used);
      if (ec == bhttp::error::need_more) break;
      if (ec == bhttp::error::body_limit) {
        return Refuse({413, "body_too_large",
                       "the request body is larger than " +
                           std::to_string(f_.options.limits.max_body_bytes) + " bytes"});
      }
      if (ec) return Refuse({400, "bad_chunked", "malformed chunked framing"});
      if (parser_->is_done()) return Dispatch();
      if (used == 0) break;
    }
    if (in_.size() > kMaxPendingFraming) {
      return Refuse({400, "bad_chunked", "a chunk-size line or trailer that does not end"});
    }
    ArmBody();
    ReadBody();
  }

  void Dispatch() {
    req_.body = std::move(parser_->get().body());
    parser_.reset();
    phase_ = Phase::kHandling;
    Disarm();
    if (f_.stopping) keep_alive_ = false;
    auto job = [self = shared_from_this(), work = asio::make_work_guard(f_.io)] {
      try {
        self->f_.handler(self->req_, self->res_);
      } catch (const std::exception& e) {
        self->res_ = Response();
        self->res_.status = 500;
        self->f_.refusal(self->req_, {500, "internal", "the handler failed"}, self->res_);
        log::Error(std::string("http handler threw: ") + e.what());
      } catch (...) {
        self->res_ = Response();
        self->res_.status = 500;
        self->f_.refusal(self->req_, {500, "internal", "the handler failed"}, self->res_);
      }
      asio::post(self->stream_.get_executor(), [self] {
        if (self->closed_) return;
        self->Respond();
      });
    };
    if (!f_.pool.TrySubmit(std::move(job))) {
      // Framing is intact: the connection may stay.
      Refusal busy{503, "overloaded", "the server is busy; retry later"};
      res_ = Response();
      res_.status = busy.status;
      f_.refusal(req_, busy, res_);
      res_.replace_header("Retry-After", std::to_string(f_.options.retry_after_seconds));
      Respond();
    }
  }

  // Answers and closes: the rest of the stream is not trusted.
  void Refuse(const Refusal& refusal) {
    keep_alive_ = false;
    closing_ = true;
    res_ = Response();
    res_.status = refusal.status;
    f_.refusal(req_, refusal, res_);
    if (refusal.status == 503) {
      res_.replace_header("Retry-After", std::to_string(f_.options.retry_after_seconds));
    }
    Respond();
  }

  void Respond() {
    if (res_.get_header_value("Connection") == "close") keep_alive_ = false;
    int status = res_.status;
    out_.clear();
    out_ += "HTTP/1.1 ";
    out_ += std::to_string(status);
    out_ += ' ';
    out_ += StatusText(status);
    out_ += "\r\n";
    for (const auto& [name, value] : res_.headers) {
      CaseInsensitiveLess less;
      auto is = [&](std::string_view n) { return !less(name, n) && !less(n, name); };
      if (is("Content-Length") || is("Connection") || is("Transfer-Encoding")) continue;
      out_ += name;
      out_ += ": ";
      out_ += value;
      out_ += "\r\n";
    }
    if (f_.options.tls && !res_.has_header("Strict-Transport-Security")) {
      out_ += "Strict-Transport-Security: " + f_.options.hsts + "\r\n";
    }
    if (!HasNoBody(status)) out_ += "Content-Length: " + std::to_string(res_.body.size()) + "\r\n";
    if (!keep_alive_) out_ += "Connection: close\r\n";
    out_ += "\r\n";
    if (!HasNoBody(status) && req_.method != "HEAD") out_ += res_.body;
    res_ = Response();
    phase_ = Phase::kWriting;
    Write([this] {
      ++served_;
      if (closing_ || !keep_alive_) return Close();
      NextRequest();
    });
  }

  // Ends the connection after an answer: TLS sends close_notify (and waits
  // briefly for the client's); then TCP sends FIN and reads, raw and
  // boundedly, what the client still sends, so that closing with unread data
  // does not reset the connection and lose the answer on its way.
  void Close() {
    phase_ = Phase::kClosing;
    Arm(Clock::now() + kCloseGrace);
    if (f_.options.tls) {
      stream_.async_shutdown([self = shared_from_this()](ErrorCode) {
        if (!self->closed_) self->CloseTcp();
      });
      return;
    }
    CloseTcp();
  }

  void CloseTcp() {
    ErrorCode ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    Drain();
  }

  void Drain() {
    in_.resize(kReadChunk);
    socket().async_read_some(
        asio::buffer(in_), [self = shared_from_this()](ErrorCode ec, size_t n) {
          if (self->closed_) return;
          self->drained_ += n;
          uint64_t most = self->f_.options.limits.max_body_bytes + kDrainSlackBytes;
          if (ec || self->drained_ > most) return self->Abort();
          self->Drain();
        });
  }

  Front::Impl& f_;
  const std::shared_ptr<Registry> registry_;
  ssl::stream<tcp::socket> stream_;  // for plain HTTP only its socket is used
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  const std::string client_;
  const int port_;
  const bool admitted_;  // false: past the caps, answered 503

  Phase phase_ = Phase::kHandshake;
  bool closed_ = false;
  bool closing_ = false;
  bool keep_alive_ = true;
  uint64_t served_ = 0;
  size_t drained_ = 0;

  std::string in_;  // received, not yet consumed: begins with the current request
  HeadScanner scanner_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Clock::time_point body_start_;
  uint64_t body_received_ = 0;
  Request req_;
  Response res_;
  std::string out_;
};

}  // namespace

Status Front::Impl::ConfigureTls() {
  SSL_CTX* ctx = ssl_context.native_handle();
  ssl_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                          ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // The server's order, not the client's; no renegotiation; no session
  // tickets (no ticket key to rotate or leak) and no session cache.
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Idle connections give their record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
    return Internal("OpenSSL refused the cipher configuration");
  }
  ErrorCode ec;
  ssl_context.use_certificate_chain_file(options.tls_cert_file, ec);
  if (!ec) ssl_context.use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(ctx) != 1) {
    return FailedPrecondition("cannot load the TLS certificate " + options.tls_cert_file +
                                  " and key " + options.tls_key_file,
                              "tls_unusable");
  }
  return Status::Ok();
}

void Front::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](ErrorCode ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void Front::Impl::OnAccept(ErrorCode ec, tcp::socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (ec) {
    // Out of descriptors (or another transient failure): pause instead of
    // spinning; the connections we hold will end and free some.
    if (ec != asio::error::operation_aborted) {
      retry_timer.expires_after(std::chrono::milliseconds(50));
      retry_timer.async_wait([this](ErrorCode wait) {
        if (!wait && !stopping) Accept();
      });
    }
    return;
  }
  ErrorCode peer_ec;
  tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  if (peer_ec) return Accept();
  asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  std::string client = address.to_string();
  bool admitted = false;
  bool answer = false;
  {
    Registry& r = *registry;
    std::lock_guard lock(r.mu);
    int& mine = r.per_client[client];
    if (r.admitted < options.max_connections && mine < options.max_connections_per_client) {
      ++r.admitted;
      ++mine;
      answer = admitted = true;
    } else if (r.overflow < kMaxOverflowConnections) {
      ++r.overflow;
      answer = true;
    }
    if (mine == 0) r.per_client.erase(client);
  }
  if (answer) {
    auto session =
        std::make_shared<Session>(*this, std::move(socket), client, peer.port(), admitted);
    {
      std::lock_guard lock(registry->mu);
      registry->sessions.emplace(session.get(), session);
    }
    asio::post(session->executor(), [session] { session->Start(); });
  }
  Accept();
}

// After Stop: answers still running get until the deadline, then the
// io_context stops, whatever is left.
void Front::Impl::WaitForSessions() {
  {
    std::lock_guard lock(registry->mu);
    if (registry->sessions.empty()) return;
  }
  if (Clock::now() >= stop_deadline) {
    io.stop();
    return;
  }
  stop_timer.expires_after(std::chrono::milliseconds(50));
  stop_timer.async_wait([this](ErrorCode ec) {
    if (!ec) WaitForSessions();
  });
}

Front::Front(FrontOptions options, FrontHandler handler, RefusalWriter refusal)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(refusal))) {}

Front::~Front() {
  Stop();
  impl_->pool.Shutdown();
}

StatusOr<int> Front::Bind() {
  Impl& f = *impl_;
  if (f.options.tls) RETURN_IF_ERROR(f.ConfigureTls());
  std::string host = f.options.listen == "localhost" ? "127.0.0.1" : f.options.listen;
  ErrorCode ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(f.options.port));
  if (!ec) f.acceptor.open(endpoint.protocol(), ec);
  if (!ec) f.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) f.acceptor.bind(endpoint, ec);
  if (!ec) f.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return FailedPrecondition("cannot listen on " + f.options.listen + ":" +
                                  std::to_string(f.options.port) + ": " + ec.message(),
                              "listen_failed");
  }
  f.Accept();
  return static_cast<int>(f.acceptor.local_endpoint().port());
}

void Front::Serve() {
  Impl& f = *impl_;
  int n = f.options.io_threads > 0 ? f.options.io_threads
                                   : static_cast<int>(std::thread::hardware_concurrency());
  std::vector<std::thread> extra;
  for (int i = 1; i < std::max(n, 1); ++i) extra.emplace_back([&f] { f.io.run(); });
  f.io.run();
  for (std::thread& t : extra) t.join();
}

void Front::Stop() {
  Impl& f = *impl_;
  if (f.stopping.exchange(true)) return;
  asio::post(f.strand, [&f] {
    ErrorCode ignored;
    f.acceptor.close(ignored);
    f.retry_timer.cancel();
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(f.registry->mu);
      for (auto& [raw, weak] : f.registry->sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) {
      asio::post(s->executor(), [s] { s->OnStop(); });
    }
    f.stop_deadline = Clock::now() + f.options.write_timeout;
    f.WaitForSessions();
  });
}

size_t Front::open_connections() const {
  std::lock_guard lock(impl_->registry->mu);
  return impl_->registry->sessions.size();
}

}  // namespace vault::http
