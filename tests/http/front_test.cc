// The Beast front against raw sockets: framing attacks are refused with 400
// and the connection closed, with nothing reaching the handler; pipelined
// requests are answered in order; every limit holds while reading; a
// bystander keeps being answered while others misbehave; TLS offers only
// what it should.
#include "http/front.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/dev_cert.h"
#include "support/raw_client.h"

namespace vault::http {
namespace {

using namespace std::chrono_literals;
using vault::testing::RawClient;
using vault::testing::RawResponse;
using Clock = std::chrono::steady_clock;

// A front serving a tiny router: it records each request it is handed and
// echoes it. /slow holds its worker until the test opens the gate.
class TestFront {
 public:
  explicit TestFront(FrontOptions options) {
    front_ = std::make_unique<Front>(std::move(options), [this](Request& req, Response& res) {
      {
        std::lock_guard lock(mu_);
        seen_.push_back(req.method + " " + req.target);
      }
      if (req.path == "/slow") {
        std::unique_lock lock(mu_);
        gate_cv_.wait_for(lock, 10s, [this] { return gate_open_; });
      }
      res.set_header("X-Q", req.get_param_value("q"));
      res.set_header("X-Host", req.get_header_value("host"));
      res.set_content(req.method + " " + req.path + " " + req.body, "text/plain");
    });
    auto port = front_->Bind();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    port_ = port.ok() ? *port : 0;
    thread_ = std::thread([this] { front_->Serve(); });
  }
  ~TestFront() {
    OpenGate();
    front_->Stop();
    thread_.join();
  }
  void OpenGate() {
    {
      std::lock_guard lock(mu_);
      gate_open_ = true;
    }
    gate_cv_.notify_all();
  }
  // Waits until the handler has been handed `request` ("GET /slow").
  bool WaitUntilSeen(const std::string& request) {
    auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mu_);
        if (std::find(seen_.begin(), seen_.end(), request) != seen_.end()) return true;
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
  int port() const { return port_; }
  Front& front() { return *front_; }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::unique_ptr<Front> front_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> seen_;  // GUARDED_BY(mu_)
  std::condition_variable gate_cv_;
  bool gate_open_ = false;  // GUARDED_BY(mu_)
};

FrontOptions PlainOptions() {
  FrontOptions o;
  o.tls = false;
  o.io_threads = 2;
  o.worker_threads = 4;
  o.limits.max_body_bytes = 1000;
  o.header_timeout = 2s;
  o.idle_timeout = 2s;
  return o;
}

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: vault.test\r\n" + std::string(extra) +
         "\r\n";
}

TEST(FrontTest, ServesKeepAliveRequestsAndDecodesTheTarget) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  ASSERT_TRUE(c.Send(Get("/a%20b?q=x+y%21")));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "GET /a b ");
  EXPECT_EQ(res->Header("X-Q"), "x y!");
  EXPECT_EQ(res->Header("X-Host"), "vault.test");
  EXPECT_EQ(res->Header("Connection"), "");
  ASSERT_TRUE(c.Send("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"));
  res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "POST /p hello");
  EXPECT_EQ(front.seen().size(), 2u);
}

// Each of these is refused with 400 (or the status given) and the
// connection closed after the answer; none reaches the handler, nor does
// the request hidden after it.
struct Attack {
  const char* name;
  std::string bytes;
  int status = 400;
};

std::vector<Attack> Attacks() {
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
  auto post = [](std::string fields, std::string body) {
    return "POST /x HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n" + body;
  };
  return {
      {"cl_and_te",
       post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + smuggled)},
      {"te_and_cl",
       post("Transfer-Encoding: chunked\r\nContent-Length: 40\r\n", "0\r\n\r\n" + smuggled)},
      {"two_lengths", post("Content-Length: 5\r\nContent-Length: 41\r\n", "hello" + smuggled)},
      {"two_equal_lengths", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello" + smuggled)},
      {"space_before_colon", post("Content-Length : 5\r\n", "hello" + smuggled)},
      {"length_with_junk", post("Content-Length: 29abc\r\n", "hello" + smuggled)},
      {"length_with_plus", post("Content-Length: +5\r\n", "hello" + smuggled)},
      {"length_list", post("Content-Length: 5, 5\r\n", "hello" + smuggled)},
      {"length_negative", post("Content-Length: -1\r\n", smuggled)},
      {"length_empty", post("Content-Length:\r\n", smuggled)},
      {"te_gzip_chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n" + smuggled)},
      {"te_chunked_twice", post("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n" + smuggled)},
      {"te_identity", post("Transfer-Encoding: identity\r\n", smuggled)},
      {"te_two_fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                             "0\r\n\r\n" + smuggled)},
      {"te_on_http10",
       "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled},
      {"obs_fold", Get("/x", "X-A: b\r\n c\r\n") + smuggled},
      {"bare_cr", Get("/x", "X-A: b\rc\r\n") + smuggled},
      {"bare_lf", Get("/x", "X-A: b\n") + smuggled},
      {"bare_lf_request_line", "GET /x HTTP/1.1\nHost: h\r\n\r\n" + smuggled},
      {"space_in_name", Get("/x", "X A: b\r\n") + smuggled},
      {"tab_before_colon", Get("/x", "X-A\t: b\r\n") + smuggled},
      {"nul_in_authorization",
       Get("/x", std::string("Authorization: Bearer abc\0def\r\n", 32)) + smuggled},
      {"control_in_value", Get("/x", "X-A: a\x01z\r\n") + smuggled},
      {"del_in_value", Get("/x", "X-A: a\x7fz\r\n") + smuggled},
      {"escape_in_value", Get("/x", "X-A: \x1b[31mred\r\n") + smuggled},
      {"no_host", "GET /x HTTP/1.1\r\n\r\n" + smuggled},
      {"two_hosts", Get("/x", "Host: other\r\n") + smuggled},
      {"double_space_request_line", "GET  /x HTTP/1.1\r\nHost: h\r\n\r\n" + smuggled},
      {"absolute_form", "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n" + smuggled},
      {"junk_version", "GET /x HTTX/1.1\r\nHost: h\r\n\r\n" + smuggled},
      {"http2_version", "GET /x HTTP/2.0\r\nHost: h\r\n\r\n" + smuggled, 505},
      {"method_not_token", "G(ET /x HTTP/1.1\r\nHost: h\r\n\r\n" + smuggled},
      {"bad_chunk_size",
       post("Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n" + smuggled)},
  };
}

void PrintTo(const Attack& attack, std::ostream* os) { *os << attack.name; }

class FramingAttackTest : public ::testing::TestWithParam<Attack> {};

TEST_P(FramingAttackTest, IsRefusedAndTheConnectionClosed) {
  const Attack& attack = GetParam();
  TestFront front(PlainOptions());
  RawClient c(front.port());
  ASSERT_TRUE(c.Send(attack.bytes));
  auto res = c.Read();
  ASSERT_TRUE(res) << attack.name << ": no answer";
  EXPECT_EQ(res->status, attack.status) << attack.name << ": " << res->body;
  EXPECT_EQ(res->Header("Connection"), "close") << attack.name;
  EXPECT_TRUE(c.ClosedWithin(2s)) << attack.name << ": the connection stayed open";
  EXPECT_TRUE(front.seen().empty())
      << attack.name << ": reached the handler: " << front.seen().front();
}

INSTANTIATE_TEST_SUITE_P(All, FramingAttackTest, ::testing::ValuesIn(Attacks()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(FrontTest, PipelinedRequestsAreAnsweredInOrder) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  ASSERT_TRUE(c.Send(Get("/a") + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz" +
                     "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "2\r\nhi\r\n0\r\n\r\n" +
                     Get("/d")));
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    auto res = c.Read();
    ASSERT_TRUE(res) << "answer " << i;
    bodies.push_back(res->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"GET /a ", "POST /b xyz", "POST /c hi", "GET /d "}));
  EXPECT_EQ(front.seen(), (std::vector<std::string>{"GET /a", "POST /b", "POST /c", "GET /d"}));
}

TEST(FrontTest, ChunkedBodyIsDecodedAndExpectContinueAnswered) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  ASSERT_TRUE(
      c.Send("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
             "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n"));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "POST /c Wikipedia");
  ASSERT_TRUE(
      c.Send("PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
             "Content-Length: 2\r\n\r\n"));
  res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 100);
  ASSERT_TRUE(c.Send("ok"));
  res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "PUT /e ok");
}

TEST(FrontTest, HeadAnswersWithoutABody) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n" + Get("/g")));
  // Content-Length says what GET would send; no body follows, so the next
  // answer starts right after the head.
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->Header("Content-Length"), "8");
  EXPECT_EQ(res->body.substr(0, 8), "HTTP/1.1");
}

TEST(FrontTest, DeclaredBodyPastTheLimitIs413AtOnce) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n"));
  auto res = c.Read(1s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_LT(Clock::now() - start, 500ms);
  EXPECT_TRUE(c.ClosedWithin(2s));
  EXPECT_TRUE(front.seen().empty());
}

TEST(FrontTest, StreamedChunkedBodyPastTheLimitIs413) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string chunk = "1f4\r\n" + std::string(500, 'a') + "\r\n";
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(c.Send(chunk));
  c.Send(chunk);  // past 1000 bytes: the answer may already be on its way
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_TRUE(c.ClosedWithin(2s));
  EXPECT_TRUE(front.seen().empty());
}

TEST(FrontTest, TooManyHeaderFieldsIs431) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  std::string fields;
  for (int i = 0; i < 99; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";
  ASSERT_TRUE(c.Send(Get("/ok", fields)));  // with Host: 100
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  ASSERT_TRUE(c.Send(Get("/x", fields + "X-F99: v\r\n")));  // 101
  res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_TRUE(c.ClosedWithin(2s));
  EXPECT_EQ(front.seen().size(), 1u);
}

TEST(FrontTest, HeaderBlockPastItsLimitIs431BeforeItEnds) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  // 17 KiB of fields and no end of head: refused while reading.
  std::string fields;
  while (fields.size() < 17 * 1024) fields += "X-Long: " + std::string(1000, 'v') + "\r\n";
  ASSERT_TRUE(c.Send("GET /x HTTP/1.1\r\nHost: h\r\n" + fields));
  auto res = c.Read(2s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_TRUE(c.ClosedWithin(2s));
}

TEST(FrontTest, RequestLinePastItsLimitIs414) {
  TestFront front(PlainOptions());
  RawClient c(front.port());
  ASSERT_TRUE(c.Send("GET /" + std::string(9000, 'a')));
  auto res = c.Read(2s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 414);
  EXPECT_TRUE(c.ClosedWithin(2s));
}

TEST(FrontTest, AHeadDrippedByteByByteIsCutAtTheHeaderDeadline) {
  FrontOptions o = PlainOptions();
  o.header_timeout = 1s;
  TestFront front(o);
  RawClient c(front.port());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("GET /x HTTP/1.1\r\nHost: h\r\nX-Drip: "));
  bool sending = true;
  while (sending && Clock::now() - start < 4s) {
    std::this_thread::sleep_for(100ms);
    sending = c.Send("a");
  }
  EXPECT_TRUE(c.ClosedWithin(1s));
  auto took = Clock::now() - start;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 2500ms) << "a byte every 100 ms kept the head open";
  EXPECT_TRUE(front.seen().empty());
}

TEST(FrontTest, ABodyBelowTheMinimumRateIsCut) {
  FrontOptions o = PlainOptions();
  o.header_timeout = 1s;
  o.min_body_bytes_per_second = 100;
  TestFront front(o);
  RawClient c(front.port());
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 900\r\n\r\n"));
  auto start = Clock::now();
  bool sending = true;
  while (sending && Clock::now() - start < 5s) {
    std::this_thread::sleep_for(200ms);
    sending = c.Send("a");  // 5 bytes/s
  }
  EXPECT_TRUE(c.ClosedWithin(1s));
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_TRUE(front.seen().empty());
}

TEST(FrontTest, AnIdleKeepAliveConnectionIsClosed) {
  FrontOptions o = PlainOptions();
  o.idle_timeout = 500ms;
  TestFront front(o);
  RawClient c(front.port());
  ASSERT_TRUE(c.Send(Get("/x")));
  ASSERT_TRUE(c.Read());
  auto start = Clock::now();
  EXPECT_TRUE(c.ClosedWithin(3s));
  EXPECT_GE(Clock::now() - start, 400ms);
  EXPECT_LT(Clock::now() - start, 1500ms);
}

void ExpectTurnedAway(int port) {
  RawClient extra(port);
  ASSERT_TRUE(extra.Send(Get("/x")));
  auto res = extra.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->Header("Retry-After"), "2");
  EXPECT_TRUE(extra.ClosedWithin(2s));
}

TEST(FrontTest, ConnectionsPastTheCapsAreAnswered503WithRetryAfter) {
  for (bool per_client : {true, false}) {
    SCOPED_TRACE(per_client ? "per client" : "in all");
    FrontOptions o = PlainOptions();
    (per_client ? o.max_connections_per_client : o.max_connections) = 3;
    TestFront front(o);
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < 3; ++i) {
      held.push_back(std::make_unique<RawClient>(front.port()));
      ASSERT_TRUE(held.back()->Send(Get("/held")));
      auto res = held.back()->Read();
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 200);
    }
    ExpectTurnedAway(front.port());
    EXPECT_EQ(front.seen().size(), 3u);
    // One leaves: a newcomer is admitted again.
    held.pop_back();
    auto deadline = Clock::now() + 2s;
    while (front.front().open_connections() > 2 && Clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    RawClient next(front.port());
    ASSERT_TRUE(next.Send(Get("/next")));
    auto res = next.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
}

TEST(FrontTest, ABystanderIsAnsweredWhileManyClientsStallAndASlowHandlerRuns) {
  FrontOptions o = PlainOptions();
  o.io_threads = 1;
  o.worker_threads = 2;
  o.header_timeout = 10s;
  TestFront front(o);
  // More stalled connections than I/O and worker threads together: bare
  // ones, half a head, half a body.
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < 100; ++i) {
    stalled.push_back(std::make_unique<RawClient>(front.port()));
    if (i % 3 == 1) stalled.back()->Send("GET /x HTTP/1.1\r\nHost: h\r\nX-Drip: a");
    if (i % 3 == 2)
      stalled.back()->Send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\na");
  }
  RawClient slow(front.port());
  ASSERT_TRUE(slow.Send(Get("/slow")));
  ASSERT_TRUE(front.WaitUntilSeen("GET /slow"));
  auto start = Clock::now();
  RawClient bystander(front.port());
  ASSERT_TRUE(bystander.Send(Get("/healthz")));
  auto res = bystander.Read(2s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(Clock::now() - start, 500ms);
  front.OpenGate();
  EXPECT_TRUE(slow.Read(3s));
}

TEST(FrontTest, AFullWorkerQueueIsAnswered503AndTheConnectionKept) {
  FrontOptions o = PlainOptions();
  o.worker_threads = 1;
  o.max_queued_requests = 0;
  TestFront front(o);
  RawClient slow(front.port());
  ASSERT_TRUE(slow.Send(Get("/slow")));
  ASSERT_TRUE(front.WaitUntilSeen("GET /slow"));
  RawClient c(front.port());
  ASSERT_TRUE(c.Send(Get("/x")));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->Header("Retry-After"), "2");
  front.OpenGate();
  ASSERT_TRUE(slow.Read(3s));
  ASSERT_TRUE(c.Send(Get("/y")));
  res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(FrontTest, StopAnswersTheRequestInFlightAndEnds) {
  TestFront front(PlainOptions());
  RawClient idle(front.port());
  RawClient busy(front.port());
  ASSERT_TRUE(busy.Send(Get("/slow")));
  ASSERT_TRUE(front.WaitUntilSeen("GET /slow"));
  front.front().Stop();
  // The idle connection ends at once; the answer in flight is still sent
  // (the stop reached its connection before the answer did: same strand).
  EXPECT_TRUE(idle.ClosedWithin(2s));
  front.OpenGate();
  auto res = busy.Read(3s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->Header("Connection"), "close");
  EXPECT_TRUE(busy.ClosedWithin(2s));
  RawClient late(front.port());
  EXPECT_FALSE(late.ok() && late.Send(Get("/x")) && late.Read(1s)) << "served after Stop";
}

// --- TLS ---

class FrontTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/front_tls_XXXXXX";
    dir_ = mkdtemp(dir_template);
    options_ = PlainOptions();
    options_.tls = true;
    options_.tls_cert_file = dir_ + "/cert.pem";
    options_.tls_key_file = dir_ + "/key.pem";
    ASSERT_TRUE(EnsureDevCertificate(options_.tls_cert_file, options_.tls_key_file).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A client context limited to one version and (TLS 1.2) these ciphers.
  static std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> Client(int version,
                                                             const char* ciphers = nullptr) {
    std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx(SSL_CTX_new(TLS_client_method()),
                                                     SSL_CTX_free);
    SSL_CTX_set_min_proto_version(ctx.get(), version);
    SSL_CTX_set_max_proto_version(ctx.get(), version);
    SSL_CTX_set_security_level(ctx.get(), 0);  // let the client offer old things
    if (ciphers != nullptr) SSL_CTX_set_cipher_list(ctx.get(), ciphers);
    return ctx;
  }

  std::string dir_;
  FrontOptions options_;
};

TEST_F(FrontTlsTest, ServesTls13WithHsts) {
  TestFront front(options_);
  auto ctx = Client(TLS1_3_VERSION);
  RawClient c(front.port(), ctx.get());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(Get("/x")));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->Header("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(SSL_get_current_compression(c.ssl()), nullptr);
}

TEST_F(FrontTlsTest, Tls12OnlyWithEcdheAeadInTheServersOrderAndNoTicket) {
  TestFront front(options_);
  // The client prefers ChaCha20; the server's order puts AES-128-GCM first.
  auto ctx = Client(TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256");
  RawClient c(front.port(), ctx.get());
  ASSERT_TRUE(c.ok());
  EXPECT_STREQ(SSL_get_cipher_name(c.ssl()), "ECDHE-ECDSA-AES128-GCM-SHA256");
  ASSERT_TRUE(c.Send(Get("/x")));
  ASSERT_TRUE(c.Read());
  EXPECT_FALSE(SSL_SESSION_has_ticket(SSL_get_session(c.ssl())));

  for (const char* weak : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
                           "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256"}) {
    auto weak_ctx = Client(TLS1_2_VERSION, weak);
    RawClient refused(front.port(), weak_ctx.get());
    EXPECT_FALSE(refused.ok()) << weak << " was accepted";
  }
  auto old = Client(TLS1_1_VERSION, "ALL:@SECLEVEL=0");
  RawClient refused(front.port(), old.get());
  EXPECT_FALSE(refused.ok()) << "TLS 1.1 was accepted";
}

TEST_F(FrontTlsTest, AFramingAttackOverTlsIsRefusedAndClosed) {
  TestFront front(options_);
  auto ctx = Client(TLS1_3_VERSION);
  RawClient c(front.port(), ctx.get());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(
      c.Send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n"
             "Host: h\r\n\r\n"));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_FALSE(res->Header("Strict-Transport-Security").empty());
  EXPECT_TRUE(c.ClosedWithin(2s));
  EXPECT_TRUE(front.seen().empty());
}

TEST_F(FrontTlsTest, BareTcpConnectionsWithoutAHelloDoNotStopOthers) {
  options_.io_threads = 1;
  options_.worker_threads = 1;
  TestFront front(options_);
  std::vector<std::unique_ptr<RawClient>> bare;
  for (int i = 0; i < 80; ++i) bare.push_back(std::make_unique<RawClient>(front.port()));
  auto ctx = Client(TLS1_3_VERSION);
  auto start = Clock::now();
  RawClient c(front.port(), ctx.get());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(Get("/x")));
  auto res = c.Read(2s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(Clock::now() - start, 500ms);
}

}  // namespace
}  // namespace vault::http
